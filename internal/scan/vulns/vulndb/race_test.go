//go:build race

package vulndb

// raceEnabled is set when the race detector, which slows parsing about
// tenfold, is on: heavy tests then check a sample.
const raceEnabled = true
