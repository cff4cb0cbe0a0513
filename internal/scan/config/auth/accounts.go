package auth

import (
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

const (
	passwdPath = "etc/passwd"
	shadowPath = "etc/shadow"
	groupPath  = "etc/group"
)

// record is one line of a colon-separated account database.
type record struct {
	Fields []string
	Line   int
}

// field returns field i, or "" when the line is shorter.
func (rec record) field(i int) string {
	if i < len(rec.Fields) {
		return rec.Fields[i]
	}
	return ""
}

// num returns field i as a number; ok is false when it is empty or not a
// number.
func (rec record) num(i int) (int, bool) {
	n, err := strconv.Atoi(rec.field(i))
	return n, err == nil
}

// parseRecords splits an account database (passwd(5), shadow(5),
// group(5)) into records of at least minFields fields. Blank lines,
// comments and NIS compat lines ("+" or "-" entries) are skipped.
func parseRecords(data []byte, minFields int) []record {
	var out []record
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < minFields {
			continue
		}
		out = append(out, record{Fields: f, Line: i + 1})
	}
	return out
}

// accountDB is a parsed database and whether its file exists.
type accountDB struct {
	Path    string
	Present bool
	Records []record
}

// loadDB reads one account database; minFields drops truncated lines.
func loadDB(r rootfs.Root, p string, minFields int) (accountDB, error) {
	data, ok, err := readOptional(r, p)
	if err != nil {
		return accountDB{}, err
	}
	return accountDB{Path: p, Present: ok, Records: parseRecords(data, minFields)}, nil
}

// Minimum field counts: enough to hold a name, a password field and, for
// passwd and group, the numeric IDs. Shorter lines name no account.
const (
	passwdFields = 4
	shadowFields = 2
	groupFields  = 3
)

func loadPasswd(r rootfs.Root) (accountDB, error) { return loadDB(r, passwdPath, passwdFields) }
func loadShadow(r rootfs.Root) (accountDB, error) { return loadDB(r, shadowPath, shadowFields) }
func loadGroup(r rootfs.Root) (accountDB, error)  { return loadDB(r, groupPath, groupFields) }

// hashState classifies a password field of shadow or passwd.
type hashState int

const (
	hashEmpty  hashState = iota // "": no password needed
	hashLocked                  // "*", "!", "!!", "!$6$...": no password login
	hashUsable                  // a crypt(3) hash
)

func classifyHash(h string) hashState {
	switch {
	case h == "":
		return hashEmpty
	case h[0] == '!' || h[0] == '*' || h == "x":
		return hashLocked
	}
	return hashUsable
}

// hashScheme names the crypt(3) scheme of a usable hash and whether it is
// weak. Only the scheme prefix is inspected; the hash is never reported.
func hashScheme(h string) (name string, weak bool) {
	switch {
	case strings.HasPrefix(h, "$y$"):
		return "yescrypt", false
	case strings.HasPrefix(h, "$gy$"):
		return "gost-yescrypt", false
	case strings.HasPrefix(h, "$7$"):
		return "scrypt", false
	case strings.HasPrefix(h, "$6$"):
		return "SHA-512-crypt", false
	case strings.HasPrefix(h, "$5$"):
		return "SHA-256-crypt", false
	case strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"), strings.HasPrefix(h, "$2a$"):
		return "bcrypt", false
	case strings.HasPrefix(h, "$1$"):
		return "MD5-crypt", true
	case strings.HasPrefix(h, "$md5"):
		return "Sun MD5-crypt", true
	case strings.HasPrefix(h, "$3$"):
		return "NT hash", true
	case strings.HasPrefix(h, "_"):
		return "BSDi extended DES", true
	case !strings.HasPrefix(h, "$") && len(h) == 13:
		return "traditional DES", true
	case !strings.HasPrefix(h, "$"):
		return "bigcrypt or unknown DES-based", true
	}
	return "unrecognised scheme", false
}
