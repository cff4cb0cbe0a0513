package osv_test

import (
	"fmt"

	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// An import reads records leniently: a broken part of a record is dropped
// with a warning, a broken record is skipped with one.
func ExampleParseLenient() {
	files := []struct {
		name, data string
	}{
		{"GHSA-good.json", `{"id":"GHSA-good","modified":"2024-01-02T03:04:05Z",
			"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
			"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[
				{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]},
				{"type":"GIT","repo":"https://example.com/a.git","events":[{"introduced":"0"},{"fixed":"cb35df940a"}]}]}]}`},
		{"GHSA-bad.json", `{"id":"GHSA-bad","modified":"last week"}`},
	}
	for _, f := range files {
		v, warnings, err := osv.ParseLenient(f.name, []byte(f.data))
		for _, w := range warnings {
			fmt.Println("warning:", w)
		}
		if err != nil {
			fmt.Println("skipped:", err)
			continue
		}
		sev, score, source := v.Severity()
		fmt.Printf("imported %s: %d affected package, %d range, %s %.1f (%s)\n",
			v.ID, len(v.Affected), len(v.Affected[0].Ranges), sev, score, source)
	}
	// Output:
	// warning: GHSA-good.json: affected[0].ranges[1].events[1]: "fixed" commit "cb35df940a" is not a full-length hash
	// imported GHSA-good: 1 affected package, 1 range, high 7.5 (CVSS:3.1)
	// skipped: GHSA-bad.json: modified: bad timestamp "last week": want RFC 3339, e.g. 2006-01-02T15:04:05Z
}
