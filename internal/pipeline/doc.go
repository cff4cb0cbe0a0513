// Package pipeline holds secpipe's vocabulary: the types every other package
// speaks in. It imports nothing outside the standard library, so scanners,
// stores and executors can all depend on it without depending on each other.
package pipeline
