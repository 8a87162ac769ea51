"""The commissioners' dashboard: compare decisions, build scenarios, present them.

Run it with ``mhsim dashboard``. It calls the same experiment API as the
command line (``simulation.experiment``) and reads the same result files.
"""
