// Command gobin is a tiny program whose build information the Go binary
// extractor reads in tests.
package main

import (
	"fmt"

	"github.com/google/go-cmp/cmp"
)

func main() { fmt.Println(cmp.Diff("a", "b")) }
