'use strict';
// mhsim's plotly.js: the core (with scatter) and the other trace types the dashboard draws. A figure with a trace
// type not registered here draws nothing: add it here and to TRACES in build.sh, and run build.sh.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/sankey'),
]);

module.exports = Plotly;
