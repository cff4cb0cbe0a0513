package osv

import (
	"fmt"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// CVSS is a scored CVSS vector.
type CVSS struct {
	// Version is "2.0", "3.0", "3.1" or "4.0".
	Version string
	// Score is the base score for v2 and v3 (temporal and environmental
	// metrics in the vector are ignored). For v4 it is the score of the
	// metrics the vector gives: CVSS-B for a base vector, CVSS-BTE when it
	// also carries threat and environmental metrics, as the v4.0
	// specification defines.
	Score float64
	// Rating is the specification's qualitative rating, lower-case:
	// "none", "low", "medium", "high" or "critical" (v2 has only low,
	// medium and high, per NVD).
	Rating string
}

// Severity maps the rating to a pipeline severity. "none" (a score of 0.0)
// becomes SeverityInfo: the vector was scored, and found harmless.
func (c CVSS) Severity() pipeline.Severity {
	switch c.Rating {
	case "critical":
		return pipeline.SeverityCritical
	case "high":
		return pipeline.SeverityHigh
	case "medium":
		return pipeline.SeverityMedium
	case "low":
		return pipeline.SeverityLow
	case "none":
		return pipeline.SeverityInfo
	}
	return pipeline.SeverityUnknown
}

// Source names the scoring, e.g. "CVSS:3.1".
func (c CVSS) Source() string { return "CVSS:" + c.Version }

// ScoreCVSS parses and scores the vector of an OSV severity entry of type
// CVSS_V2, CVSS_V3 or CVSS_V4. A v3 vector must start "CVSS:3.0/" or
// "CVSS:3.1/", a v4 vector "CVSS:4.0/"; a v2 vector may start "CVSS:2.0/".
// It fails on a malformed vector, a version that does not match the type,
// or another type.
func ScoreCVSS(t SeverityType, vector string) (CVSS, error) {
	vec := strings.TrimSpace(vector)
	c, err := scoreCVSS(t, vec)
	if err != nil {
		return CVSS{}, fmt.Errorf("invalid %s vector %q: %w", t, vector, err)
	}
	return c, nil
}

func scoreCVSS(t SeverityType, vec string) (CVSS, error) {
	switch t {
	case CVSSv2:
		v, err := gocvss20.ParseVector(strings.TrimPrefix(vec, "CVSS:2.0/"))
		if err != nil {
			return CVSS{}, err
		}
		s := v.BaseScore()
		return CVSS{Version: "2.0", Score: s, Rating: ratingV2(s)}, nil
	case CVSSv3:
		switch {
		case strings.HasPrefix(vec, "CVSS:3.1/"):
			v, err := gocvss31.ParseVector(vec)
			if err != nil {
				return CVSS{}, err
			}
			s := v.BaseScore()
			return CVSS{Version: "3.1", Score: s, Rating: ratingV3(s)}, nil
		case strings.HasPrefix(vec, "CVSS:3.0/"):
			v, err := gocvss30.ParseVector(vec)
			if err != nil {
				return CVSS{}, err
			}
			s := v.BaseScore()
			return CVSS{Version: "3.0", Score: s, Rating: ratingV3(s)}, nil
		}
		return CVSS{}, fmt.Errorf(`want a "CVSS:3.0/" or "CVSS:3.1/" prefix`)
	case CVSSv4:
		if !strings.HasPrefix(vec, "CVSS:4.0/") {
			return CVSS{}, fmt.Errorf(`want a "CVSS:4.0/" prefix`)
		}
		v, err := gocvss40.ParseVector(vec)
		if err != nil {
			return CVSS{}, err
		}
		s := v.Score()
		return CVSS{Version: "4.0", Score: s, Rating: ratingV3(s)}, nil
	}
	return CVSS{}, fmt.Errorf("not a CVSS severity type")
}

// ratingV2 is NVD's rating of CVSS v2 base scores.
func ratingV2(s float64) string {
	switch {
	case s >= 7.0:
		return "high"
	case s >= 4.0:
		return "medium"
	}
	return "low"
}

// ratingV3 is the qualitative rating of CVSS v3.x and v4.0 scores, which
// share their thresholds.
func ratingV3(s float64) string {
	switch {
	case s >= 9.0:
		return "critical"
	case s >= 7.0:
		return "high"
	case s >= 4.0:
		return "medium"
	case s > 0:
		return "low"
	}
	return "none"
}
