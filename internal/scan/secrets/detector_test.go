package secrets

import (
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// engineRules are small rules that exercise every feature of the engine
// (secret groups, multiline windows, generic rules, credential groups)
// independently of the catalogue.
func engineRules() []Rule {
	return []Rule{
		{
			ID: "test-token", Title: "Test token", Severity: pipeline.SeverityHigh,
			Keywords:    []string{"tok_"},
			Pattern:     `(?:^|[^A-Za-z0-9_])(?P<secret>tok_[a-z0-9]{24})(?:$|[^A-Za-z0-9_])`,
			Remediation: "Revoke the token.", References: []string{"https://tokens.invalid/format"},
		},
		{
			ID: "test-key-id", Title: "Test key id", Severity: pipeline.SeverityMedium,
			Keywords: []string{"kid-"}, Pattern: `\b(?P<secret>kid-[A-Z0-9]{16})\b`, CredentialGroup: "pair",
		},
		{
			ID: "test-key-secret", Title: "Test key secret", Severity: pipeline.SeverityCritical,
			Keywords: []string{"key_secret"}, CredentialGroup: "pair",
			Pattern: `key_secret\s*[:=]\s*"?(?P<secret>[A-Za-z0-9/+]{32})`,
		},
		{
			ID: "test-block", Title: "Test block", Severity: pipeline.SeverityHigh,
			Keywords: []string{"begin block"}, Multiline: true, MaxLen: 300,
			Pattern: `(?s)BEGIN BLOCK\n(?P<secret>[a-z0-9\n]{20,200}?)\nEND BLOCK`,
		},
		{
			ID: "test-wrapped", Title: "Test wrapped blob", Severity: pipeline.SeverityMedium,
			Keywords: []string{"wrapped:"}, Pattern: `wrapped:\s*(?P<secret>[A-Za-z0-9+/]{32,}=*)`,
		},
		{
			ID: "test-generic", Title: "Test password", Severity: pipeline.SeverityLow, Generic: true,
			Keywords: []string{"passwd"}, Pattern: `passwd\s*=\s*(?P<secret>[^\s"']{8,})`, MinEntropy: 2,
		},
	}
}

// fake returns a deterministic random string of n characters from alphabet.
func fake(seed uint64, alphabet string, n int) string {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	lowerDigits = "abcdefghijklmnopqrstuvwxyz0123456789"
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

func testToken(seed uint64) string  { return "tok_" + fake(seed, lowerDigits, 24) }
func testKeyID(seed uint64) string  { return "kid-" + fake(seed, upperDigits, 16) }
func testSecret(seed uint64) string { return fake(seed, upperDigits+lowerDigits+"+/", 32) }

// sameMatches compares matches by rule, span and secret.
func sameMatches(a, b []Match) bool {
	key := func(m Match) string { return fmt.Sprintf("%s@%d-%d=%q", m.Rule.ID, m.Start, m.End, m.Secret) }
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i] = key(a[i])
	}
	for i := range b {
		kb[i] = key(b[i])
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}

func compileAll(t testing.TB, rules []Rule) []*Rule {
	t.Helper()
	var out []*Rule
	for _, r := range rules {
		if err := r.compile(); err != nil {
			t.Fatal(err)
		}
		out = append(out, &r)
	}
	return out
}

// mixedTexts are inputs that stress line handling: keywords at the edges
// of lines, CRLF, upper case, overlapping multiline windows, generic
// matches overlapping vendor ones, and empty lines.
func mixedTexts() []string {
	tok, kid, sec := testToken(1), testKeyID(2), testSecret(3)
	return []string{
		"",
		"\n\n\n",
		tok,
		tok + "\n",
		"x=" + tok + "\r\n" + "TOK_" + fake(4, lowerDigits, 24) + "\n",
		"id: " + kid + "\nkey_secret: \"" + sec + "\"\n",
		"KEY_SECRET=" + sec + " " + kid + " " + tok + "\n",
		"BEGIN BLOCK\n" + fake(5, lowerDigits, 40) + "\nEND BLOCK\nbegin block\nBEGIN BLOCK\n" + fake(6, lowerDigits, 30) + "\nEND BLOCK\n",
		"passwd = " + tok + "\npasswd = " + fake(7, lowerDigits, 12) + "\n",
		"begin blockbegin block\n" + strings.Repeat("BEGIN BLOCK\n"+fake(8, lowerDigits, 25)+"\nEND BLOCK\n", 5),
		"tok_tok_tok_" + fake(9, lowerDigits, 24) + " kid-kid-" + fake(10, upperDigits, 16),
	}
}

// goSources returns up to limit bytes of Go source files from GOROOT.
func goSources(t testing.TB, limit int) [][]byte {
	t.Helper()
	var out [][]byte
	total := 0
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(goroot)), "src")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || total >= limit {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, b)
		total += len(b)
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Skipf("no Go sources under %s: %v", root, err)
	}
	return out
}

func TestDetectorAgreesWithNaive(t *testing.T) {
	sets := []struct {
		name  string
		rules []Rule
	}{
		{name: "engine", rules: engineRules()},
		{name: "catalogue", rules: Rules()},
	}
	texts := mixedTexts()
	for _, c := range allCases() {
		texts = append(texts, c.tp...)
		texts = append(texts, c.fp...)
	}
	srcs := goSources(t, 2<<20)
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			d, err := NewDetector(set.rules)
			if err != nil {
				t.Fatal(err)
			}
			naive := compileAll(t, set.rules)
			check := func(text []byte) {
				got, want := d.Find(text), naiveFind(naive, text)
				if !sameMatches(got, want) {
					t.Errorf("Find(%.200q) = %v, want %v", text, got, want)
				}
			}
			for _, text := range texts {
				check([]byte(text))
			}
			for _, src := range srcs {
				check(src)
			}
		})
	}
}

func TestDetectorOrder(t *testing.T) {
	d, err := NewDetector(engineRules())
	if err != nil {
		t.Fatal(err)
	}
	text := []byte(strings.Join(mixedTexts(), "\n"))
	ms := d.Find(text)
	if len(ms) < 10 {
		t.Fatalf("Find found %d matches, want at least 10", len(ms))
	}
	sorted := slices.IsSortedFunc(ms, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Rule.ID, b.Rule.ID))
	})
	if !sorted {
		t.Errorf("Find returned matches out of order: %v", ms)
	}
	for _, m := range ms {
		if string(text[m.Start:m.End]) != m.Secret {
			t.Errorf("match %s at %d-%d holds %q, text there is %q", m.Rule.ID, m.Start, m.End, m.Secret, text[m.Start:m.End])
		}
	}
}

func TestNewDetectorRejects(t *testing.T) {
	good := engineRules()[0]
	tests := []struct {
		name   string
		rules  []Rule
		errHas string
	}{
		{name: "duplicate id", rules: []Rule{good, good}, errHas: "duplicate id"},
		{name: "bad pattern", rules: []Rule{{ID: "x", Title: "X", Keywords: []string{"abc"}, Pattern: "("}}, errHas: "pattern"},
		{name: "upper-case keyword", rules: []Rule{{ID: "x", Title: "X", Keywords: []string{"ABC"}, Pattern: "a"}}, errHas: "lower-case"},
		{name: "no keyword", rules: []Rule{{ID: "x", Title: "X", Pattern: "a"}}, errHas: "keyword"},
		{name: "bad secret group", rules: []Rule{{ID: "x", Title: "X", Keywords: []string{"abc"}, Pattern: "a", SecretGroup: 2}}, errHas: "secret group"},
	}
	for _, tt := range tests {
		_, err := NewDetector(tt.rules)
		if err == nil || !strings.Contains(err.Error(), tt.errHas) {
			t.Errorf("%s: NewDetector() = %v, want an error containing %q", tt.name, err, tt.errHas)
		}
	}
}

func TestDetectorMaxLen(t *testing.T) {
	d, err := NewDetector(engineRules())
	if err != nil {
		t.Fatal(err)
	}
	if got := d.MaxLen(); got != defaultMaxLen {
		t.Errorf("MaxLen() = %d, want %d (the default of rules without MaxLen)", got, defaultMaxLen)
	}
	long := append(engineRules(), Rule{ID: "long", Title: "Long", Keywords: []string{"long"}, Pattern: "long", MaxLen: 5000})
	if d, err = NewDetector(long); err != nil {
		t.Fatal(err)
	}
	if got := d.MaxLen(); got != 5000 {
		t.Errorf("MaxLen() = %d, want 5000", got)
	}
}

// TestKeywordSet checks the automaton against a plain search for every
// keyword at every offset.
func TestKeywordSet(t *testing.T) {
	keywords := []string{"he", "she", "his", "hers", "tok_", "ok_t", "k", "a\nb", "sk_live_", "live"}
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		size := r.IntN(80)
		if n%3 == 0 {
			size = splitScan + r.IntN(3000)
		}
		text := make([]byte, size)
		const alphabet = "heHsSrIitTOoK_k\nlivEa b\xc3"
		for i := range text {
			text[i] = alphabet[r.IntN(len(alphabet))]
		}
		ks := newKeywordSet(keywords)
		var got []string
		var hold []kwHit
		last := 0
		ks.scan(text, &hold, func(end int, kws []int32) {
			if end <= last {
				t.Fatalf("scan reported end %d after %d", end, last)
			}
			last = end
			for _, k := range kws {
				got = append(got, fmt.Sprintf("%d:%s", end, keywords[k]))
			}
		})
		var want []string
		low := asciiLowerCopy(text)
		for end := 1; end <= len(text); end++ {
			for _, k := range keywords {
				if !strings.Contains(k, "\n") && bytes.HasSuffix(low[:end], []byte(k)) {
					want = append(want, fmt.Sprintf("%d:%s", end, k))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("scan(%q) = %v, want %v", text, got, want)
		}
	}
}

// FuzzDetector holds the detector to the reference semantics on random
// input, for the catalogue and for the engine's own test rules. Both match
// keywords ASCII case-insensitively, so every input is compared.
func FuzzDetector(f *testing.F) {
	for _, c := range allCases() {
		for _, s := range append(slices.Clone(c.tp), c.fp...) {
			f.Add([]byte(s))
		}
	}
	for _, s := range mixedTexts() {
		f.Add([]byte(s))
	}
	f.Add([]byte(strings.Join(mixedTexts(), "\n")))
	sets := [][]Rule{Rules(), engineRules()}
	var dets []*Detector
	var naive [][]*Rule
	for _, rules := range sets {
		d, err := NewDetector(rules)
		if err != nil {
			f.Fatal(err)
		}
		dets = append(dets, d)
		naive = append(naive, compileAll(f, rules))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		for i, d := range dets {
			got := d.Find(text)
			if want := naiveFind(naive[i], text); !sameMatches(got, want) {
				t.Errorf("Find(%q) = %v, want %v", text, got, want)
			}
		}
	})
}

// BenchmarkDetector measures detection throughput with the whole
// catalogue over real Go source.
func BenchmarkDetector(b *testing.B) {
	srcs := goSources(b, 16<<20)
	d, err := NewDetector(Rules())
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, s := range srcs {
		total += int64(len(s))
	}
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		for _, s := range srcs {
			d.Find(s)
		}
	}
}

// BenchmarkKeywords compares the keyword pass with the Aho-Corasick
// library secpipe could use instead, over the catalogue's keywords.
func BenchmarkKeywords(b *testing.B) {
	srcs := goSources(b, 16<<20)
	var total int64
	for _, s := range srcs {
		total += int64(len(s))
	}
	var keywords []string
	for _, r := range Rules() {
		keywords = append(keywords, r.Keywords...)
	}
	b.Run("own", func(b *testing.B) {
		ks := newKeywordSet(keywords)
		b.SetBytes(total)
		var hold []kwHit
		for b.Loop() {
			n := 0
			for _, s := range srcs {
				ks.scan(s, &hold, func(int, []int32) { n++ })
			}
		}
	})
	b.Run("petar-dambovaliev", func(b *testing.B) {
		builder := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
			AsciiCaseInsensitive: true, MatchKind: ahocorasick.StandardMatch, DFA: true,
		})
		ac := builder.Build(keywords)
		b.SetBytes(total)
		for b.Loop() {
			n := 0
			for _, s := range srcs {
				it := ac.IterOverlappingByte(s)
				for m := it.Next(); m != nil; m = it.Next() {
					n++
				}
			}
		}
	})
}

// BenchmarkNew measures start-up: compiling the catalogue.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(Config{}); err != nil {
			b.Fatal(err)
		}
	}
}
