package pipeline

// Verdict is a gate's decision over one set of findings. Reports print it;
// the CLI turns it into an exit code (0 passed, 1 failed).
type Verdict struct {
	Passed bool `json:"passed"`
	// FailOn is the severity threshold the gate applied.
	FailOn Severity `json:"fail_on"`
	// Blocking holds the indexes (into the findings the gate saw) of the
	// findings that fail the gate, in ascending order.
	Blocking []int `json:"-"`
	// Counts of findings the gate let through for a stated reason.
	Suppressed int `json:"suppressed"`
	Baselined  int `json:"baselined"`
	// Expired counts ignore entries past their expiry that matched a finding;
	// those findings count against the gate again.
	Expired int `json:"expired"`
}

// IsBlocking reports whether the finding at index i fails the gate.
func (v *Verdict) IsBlocking(i int) bool {
	if v == nil {
		return false
	}
	for _, b := range v.Blocking {
		if b == i {
			return true
		}
		if b > i {
			break
		}
	}
	return false
}
