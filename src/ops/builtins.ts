/**
 * Imports every built-in op module so that they register themselves.
 * Imported by the worker entry and the public API.
 */
import './count.js'
import './flagstat.js'
import './idxstats.js'
import './view.js'
import './records.js'
