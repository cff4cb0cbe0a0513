package base

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// suiteName is what a Debian suite or codename looks like.
var suiteName = regexp.MustCompile(`^[a-z][a-z0-9.-]*$`)

// prepareDebian unpacks the day's minbase tarball of suite, building it
// first when the cache has none.
func prepareDebian(ctx context.Context, suite, dst string, opts Options) (Info, error) {
	if !suiteName.MatchString(suite) {
		return Info{}, fmt.Errorf("suite %q is not a Debian suite name: %w", suite, pipeline.ErrInvalid)
	}
	if opts.CacheDir == "" {
		return Info{}, fmt.Errorf("a debian base needs a cache directory: %w", pipeline.ErrInvalid)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	tarball := filepath.Join(opts.CacheDir, fmt.Sprintf("debian-%s-%s.tar", suite, now().UTC().Format("20060102")))
	if _, err := os.Stat(tarball); errors.Is(err, fs.ErrNotExist) {
		if err := mmdebstrap(ctx, suite, tarball, opts); err != nil {
			return Info{}, err
		}
	} else if err != nil {
		return Info{}, err
	}
	digest, err := unpackFile(ctx, tarball, dst)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", tarball, err)
	}
	return Info{Digest: digest, Kind: KindDebian}, nil
}

// mmdebstrap builds the minbase tarball of suite into a temporary
// directory beside tarball, then moves it into place, so a cache never
// holds a half-written base and concurrent builds do not clash.
func mmdebstrap(ctx context.Context, suite, tarball string, opts Options) error {
	prog := opts.Mmdebstrap
	if prog == "" {
		p, err := exec.LookPath("mmdebstrap")
		if err != nil {
			return missingTool{msg: "mmdebstrap is not installed: apt-get install mmdebstrap"}
		}
		prog = p
	}
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(opts.CacheDir, ".debian-"+suite+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "rootfs.tar")
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	cmd := exec.CommandContext(ctx, prog, "--variant=minbase", "--mode=root", "--format=tar", suite, out)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mmdebstrap %s: %w", suite, err)
	}
	return os.Rename(out, tarball)
}
