package system

import (
	"fmt"
	"strings"
)

// Package is one package an OS package database lists as installed.
type Package struct {
	Name    string
	Version string
	// Source is the source package it was built from (dpkg's Source
	// field without its version, apk's origin); "" when the database does
	// not say, which for dpkg means the same as Name.
	Source string
	// Line is where the package's entry starts in the database file.
	Line int
}

// installedStates are the dpkg package states in which the package's files
// are on disk (dpkg-query(1), "Package states"); not-installed and
// config-files are the others.
var installedStates = map[string]bool{
	"installed": true, "unpacked": true, "half-configured": true, "half-installed": true,
	"triggers-awaited": true, "triggers-pending": true,
}

// parseDpkgStatus parses dpkg's status database (var/lib/dpkg/status, or
// one file of var/lib/dpkg/status.d in distroless images, which has no
// Status field) and returns the installed packages. Errors name the line
// and field.
func parseDpkgStatus(data []byte) ([]Package, error) {
	paras, err := parseDeb822(data)
	if err != nil {
		return nil, err
	}
	var out []Package
	for _, p := range paras {
		name := p.get("Package")
		if name == "" {
			return nil, fmt.Errorf("line %d: paragraph without a Package field", p.Line)
		}
		if st, ok := p.Fields["status"]; ok {
			words := strings.Fields(st.Value)
			if len(words) != 3 {
				return nil, fmt.Errorf("line %d: Status %q: want \"WANT FLAG STATE\"", st.Line, clip(st.Value))
			}
			if !installedStates[words[2]] {
				continue
			}
		}
		src, _, _ := strings.Cut(p.get("Source"), " ")
		out = append(out, Package{Name: name, Version: p.get("Version"), Source: src, Line: p.Fields["package"].Line})
	}
	return out, nil
}
