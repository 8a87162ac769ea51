"""What each source id cited in scenarios/baseline.yaml is: the shared parameter sourcebook (S: the Essex
report; C: unit costs; R: rates and outcomes; E: Essex figures) and the project's own (docs/sourcebook.md).

Copied here so that a brief explains "R21" or "S9" without either file at hand (regenerate by hand when a row
is added: each id maps to its figure, value and where it was published)."""

from __future__ import annotations

SOURCES: dict[str, str] = {
    'C1': 'Mental health inpatient day: £564 per day (source: SNEE ICS costing methodology, "Activity types and cost" (MHSDS inpatient row), prices of 2024)',
    'C2': 'Mental health admitted-patient cluster day: £319-£366, typical £334 per bed day (source: first MH cluster reference costs (HSJ "Calculating the cost of mental health"; HFMA 2012), prices of 2011/12)',
    'C3': 'Crisis team vs standard care (RCT): £2,438 lower total cost per patient over 6 months with a crisis team (90% CI £937-£3,922) (source: McCrone et al., Epidemiol Psichiatr Soc, economic evaluation of a crisis resolution service RCT, prices of ~2003)',
    'C4': 'Crisis resolution / home treatment episode: about £1,926 per episode (EST: £183m / ~95,000 treatments) (source: NAO, Helping people through mental health crisis (HC 5 2007-08), prices of 2006/07)',
    'C5': 'Community mental health team: £128 per face-to-face contact; £2,528 per case per year (source: PSSRU Unit Costs 2014 p.218 (via New Economy unit cost database), prices of 2013/14)',
    'C6': 'Mental health care contact (local costing): £275 per contact day (source: SNEE ICS, prices of 2024)',
    'C7': 'Talking therapy (IAPT) session: £177 high intensity, £99 low intensity (source: Radhakrishnan et al. 2013, Behav Res Ther, prices of 2010/11)',
    'C8': 'A&E mental health liaison contact: about £217 (source: NHS reference cost table (copy), prices of unverified)',
    'C9': 'Supported accommodation per person-week: about £150 (floating outreach) to about £500 (residential care) (source: Killaspy et al. 2019, Front Psychiatry 10:258 (QuEST), prices of ~2019)',
    'C10': 'Supported accommodation service budgets: residential care £466,687; supported housing £365,452; floating outreach £172,114 per service per year (source: Killaspy et al. 2016, Lancet Psychiatry (QuEST survey), prices of ~2014)',
    'C11': 'Recovery College cost per student: median £518 (IQR £275-£840) per student per year (source: Recovery College typology study, Soc Psychiatry Psychiatr Epidemiol 2023, prices of ~2021)',
    'C12': 'Recovery College budget: median £200,000 per college per year (IQR £127k-£300k); £1,510 per course run (source: same, prices of ~2021)',
    'C13': 'Peer support worker: about £13.3 per hour (EST from Band 3 mid-point + 25% on-costs) (source: HEE peer support worker training grant notice, prices of 2021/22)',
    'C14': 'Cost of a suicide (working age): £1.67m (source: McDaid, Park & Bonin in Knapp et al. (DH 2011), The Economic Case, prices of 2009)',
    'C14a': 'Share of the cost of a suicide that is human cost (pain, grief, suffering): about 70% (source: McDaid, Park & Bonin, in Knapp et al. (2011), The Economic Case (the source of C14))',
    'C15': 'Cost of a suicide (updated): £1.46m (source: LSE study for Samaritans (2024 press report), prices of 2022)',
    'C16': 'Street triage vs usual police response: £1,043 vs £1,077 per person (NHS + criminal justice) (source: Heslin et al. 2016, BMJ Open, prices of ~2014)',
    'C17': 'Mental health residential and nursing spend, Essex: residential about £8.5m per year; nursing about £1m; a third of placements out of county (2023) (source: ECC Provider Hub, Mental Health Residential & Nursing, prices of 2023-25)',
    'D1': 'Redbridge Resource Centre (a council mental health day centre, Ilford), proposed closure: 145 active users, Monday to Friday; closing it would save £551,000 a year (about £3,800 a user a year) (source: local press report of the council\'s savings proposals (Ilford Recorder, reproduced on cutsnews.wordpress.com, "Day Centre" category))',
    'D2': 'Mind Resource Centre, Norwich, closure: used by about 120 people, five days a week (source: Care Appointments news, "Norwich mental health centre to close")',
    'D3': "Basildon's day centre: run by a local arm of a national charity on a CCG block contract; closed May 2015; the provider was given 18 months to redesign it; users set up Sociability (source: seed report l.230, 251, 259-267, 416)",
    'E1': 'Essex County Council population: nearly 1.5 million, growing ~10,000 a year (source: ECC Market Position Statement)',
    'E2': 'Adults supported by ECC social care: 16,542 (2023) (source: same)',
    'E3': 'Secondary mental health trust catchment: about 1.3 million (EPUT, mental health) (source: EPUT)',
    'R1': 'Recovery College and service use: fall in bed days, admissions and community contacts 18 months after vs before; saving £1,200 per registered student, £1,760 per completer (source: Bourne et al. 2018, J Ment Health 27(4) (n=463))',
    'R2': 'Recovery College and economic inactivity: 69% to 24.4% among completers (source: Allard et al. 2024, BJPsych Open (n=84))',
    'R3': 'Peer-supported self-management after crisis care: readmitted within 1 year: 29% vs 38% (source: Johnson et al. 2018, Lancet 392:409 (CORE RCT))',
    'R4': 'Peer support at discharge: no reduction in 12-month readmission (source: Gillard et al. 2022, Lancet Psychiatry 9:125 (ENRICH RCT))',
    'R5': 'Readmission within 1 year after crisis team: over 50% (source: Werbeloff, cited in Osborn et al. 2021, BJPsych Open)',
    'R6': 'Readmission within 90 days: 15% (source: Tulloch, David & Thornicroft 2016, Epidemiol Psychiatr Sci)',
    'R7': 'Acute inpatient length of stay: median 23 days; national aim at most 32 days (source: HSCIC Mental Health Bulletin 2014; Crossley & Sweeney 2020, BMC Psychiatry)',
    'R8': 'Move-on from supported accommodation within 30 months: 41% overall; residential care 10%; supported housing 39%; floating outreach 67% (source: Killaspy et al. 2019, BJPsych (QuEST))',
    'R9': 'Day hospital closure: no rise in inpatient, primary care or emergency use; social networks shrank (source: Goddard, Burns & Catty 2004, Community Ment Health J)',
    'R10': 'Day centres: no RCTs; people attend mainly for social reasons (source: Cochrane CD001710; Catty & Burns 2001)',
    'R11': 'Suicide rate, England: 11.2 per 100,000 (2023); 10.5 (2022) (source: ONS, Suicides in England and Wales: 2023 registrations)',
    'R12': 'Suicide after psychiatric discharge: about 5% of all suicides within 3 months of discharge; 18% of patient suicides (source: NCISH 2014; BJPsych)',
    'R13': 'Zero Suicide, Henry Ford: patient suicide rate 89 to 22 per 100,000 (-75%) in 4 years (source: Hampton 2010, JAMA 303(19))',
    'R14': 'Gatekeeper training (ASIST, SafeTALK): gains in knowledge and confidence; no established link to lower suicide rates (source: reviews PMC9716344, PMC5992649; Gould et al. 2013)',
    'R15': 'Personal Health Budget pilot: care-related quality of life gain 0.057 vs 0.018; cost-effective, notably in mental health; lower inpatient costs, higher direct costs (source: Forder et al. 2012, PSSRU evaluation of the PHB pilot)',
    'R16': 'Personal budgets in mental health: 14.6% of eligible users held one (2011/12); budgets up to about £20,000 a year (source: Reform report (press))',
    'R17': 'Employment in secondary mental health care (CPA): 9.5% (2010/11) to 6.8% (2014/15) (source: Nuffield Trust / QualityWatch)',
    'R18': 'Prevalence of common mental disorder: 1 in 6 adults; 37% of them in treatment (source: APMS 2014)',
    'R19': 'Relapse after first-episode psychosis: 81.9% within 5 years (source: Robinson et al. 1999, Arch Gen Psychiatry)',
    'R20': 'Mental health A&E attendances: 4.2% of attendances; 1 in 3 admitted; 2023/24: 206,025, over 80,000 waited 12+ hours (source: Baracaia et al.; NHS Confederation 2024)',
    'R21': 'People in contact with secondary mental health services, England: 1.75m, of whom 6.0% inpatients (2013/14) (source: HSCIC Mental Health Bulletin)',
    'S1': 'Prevalence of mental health problems, Essex: about 1 in 6 (UK: 1 in 4) (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S2': 'Spend on depression and anxiety, Essex 2012-13: £26,000 per 100,000 citizens (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S3': 'Mortality of people with mental health problems: 2.4 x general population (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S4': 'Suicides of people with mental health problems, Essex, Jan-Oct 2015: 62 (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S5': 'Cost of one suicide: £1.4m (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S6': 'Employment among people treated for mental health problems, Essex 2013: 15.9% (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S7': 'Residential care cost, Essex: up to £50,000 per person per year (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S8': 'Intensive Enablement tenancies: 79 funded, 41 operative; aim: move on within 18 months (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S9': 'Day centre users eligible for a Personal Health Budget (Basildon): 40-45% (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S10': 'Day centre attendance before closure: people attending 5-6 years, "lives weren\'t changing" (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S11': 'Recovery College pilot: 15 months (to April 2015); at least 40 people returned to work (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S12': 'Zero Suicide pilot training (SafeTALK/ASIST): over 100 people trained (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S13': 'Henry Ford Zero Suicide: 11 years without a suicide in its patient population (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S14': 'Day centre provider given to redesign before closure: 18 months (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
    'S15': 'IAPT referrals, England 2013-14: 950,000 (source: the seed report, Hope for Better Mental Health (Essex, 2015))',
}


def explain(source: str) -> list[tuple[str, str]]:
    """(id, what it is) for every id a 'source:' text cites, in order (ids not in the sourcebook are left out)."""
    import re

    seen: list[tuple[str, str]] = []
    for sid in re.findall(r"\b([SCRED]\d+[a-z]?)\b", source or ""):
        if sid in SOURCES and sid not in [s for s, _ in seen]:
            seen.append((sid, SOURCES[sid]))
    return seen
