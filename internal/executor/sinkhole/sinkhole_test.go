package sinkhole

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/image/base"
)

func TestAnswer(t *testing.T) {
	q := dnsmessage.Question{Name: dnsmessage.MustNewName("guarddutyc2activityb.com."), Type: dnsmessage.TypeA,
		Class: dnsmessage.ClassINET}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 42, RecursionDesired: true})
	b.StartQuestions()
	b.Question(q)
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	log := &Log{}
	resp, ok := answer(msg, "udp", log)
	if !ok {
		t.Fatal("answer refused a well-formed query")
	}
	var p dnsmessage.Parser
	hdr, err := p.Start(resp)
	if err != nil || hdr.ID != 42 || !hdr.Response {
		t.Fatalf("reply header = %+v, %v; want a response with ID 42", hdr, err)
	}
	p.SkipAllQuestions()
	a, err := p.AnswerHeader()
	if err != nil || a.Type != dnsmessage.TypeA {
		t.Fatalf("first answer = %+v, %v; want an A record", a, err)
	}
	r, err := p.AResource()
	if err != nil || net.IP(r.A[:]).String() != Address {
		t.Errorf("A = %v, %v; want %s", r.A, err, Address)
	}
	if len(log.Queries) != 1 || log.Queries[0].Name != "guarddutyc2activityb.com" || log.Queries[0].Type != "A" {
		t.Errorf("logged %+v, want the question", log.Queries)
	}
	// A reply, or garbage, is not answered.
	if _, ok := answer(resp, "udp", log); ok {
		t.Error("answer answered a response")
	}
	if _, ok := answer([]byte{1, 2, 3}, "udp", log); ok {
		t.Error("answer answered garbage")
	}
}

// TestRunSandbox: a sandbox sharing the sinkhole's network resolves any
// name to the sinkhole and connects to it; nothing reaches the host.
func TestRunSandbox(t *testing.T) {
	for _, need := range []func() error{Available, sandbox.Available} {
		if err := need(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if _, err := base.Prepare(context.Background(), "busybox", root, base.Options{}); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip is not installed")
	}
	var out bytes.Buffer
	log, err := Run(context.Background(), dir, func(resolv string) error {
		code, err := sandbox.Run(context.Background(), sandbox.Spec{Root: root, Network: true, ResolvConf: resolv,
			Argv:   []string{"/bin/sh", "-c", "nslookup pool.minexmr.com; echo login | nc 203.0.113.7 3333; echo exit=$?"},
			Stdout: &out, Stderr: &out})
		if err == nil && code != 0 {
			t.Errorf("sandbox exit %d", code)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Address: "+Address) || !strings.Contains(out.String(), "exit=0") {
		t.Errorf("sandbox output:\n%s\nwant the name resolved to %s and nc to succeed", out.String(), Address)
	}
	if len(log.Queries) == 0 || log.Queries[0].Name != "pool.minexmr.com" {
		t.Errorf("queries = %+v, want pool.minexmr.com", log.Queries)
	}
	if len(log.Conns) != 1 || log.Conns[0].Port != 3333 || log.Conns[0].Bytes == 0 {
		t.Errorf("connections = %+v, want one on 3333 with data", log.Conns)
	}
}
