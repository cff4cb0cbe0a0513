package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// mountTargets lists the paths inside the root that bwrap mounts over.
func mountTargets(s Spec) []string {
	targets := []string{"/proc", "/dev"}
	if resolvConfBind(s) {
		targets = append(targets, hostResolvConf)
	}
	for _, b := range s.Binds {
		targets = append(targets, b.Target)
	}
	return targets
}

// missingMountPoints returns, for each mount target missing from the
// root, its topmost missing ancestor (relative to the root): what bwrap
// will create and Run should remove afterwards.
func missingMountPoints(s Spec) ([]string, error) {
	root, err := os.OpenRoot(s.Root)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	defer root.Close()
	var created []string
	for _, t := range mountTargets(s) {
		rel := strings.TrimPrefix(path.Clean(t), "/")
		parts := strings.Split(rel, "/")
		for i := range parts {
			p := strings.Join(parts[:i+1], "/")
			_, err := root.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) {
				if !slices.Contains(created, p) {
					created = append(created, p)
				}
				break
			}
			if err != nil {
				// A path bwrap cannot reach either; let bwrap report it.
				break
			}
		}
	}
	return created, nil
}

// removeMountPoints removes the mount points bwrap created in root, as
// long as they hold nothing but empty files and directories. The removal
// goes through os.Root, so a link the command left in their place cannot
// lead it outside the root.
func removeMountPoints(dir string, created []string) {
	if len(created) == 0 {
		return
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return
	}
	defer root.Close()
	for _, p := range created {
		removeEmpty(root, p)
	}
}

// removeEmpty removes p when it is an empty regular file, or a directory
// of such files and directories.
func removeEmpty(root *os.Root, p string) {
	fi, err := root.Lstat(p)
	if err != nil {
		return
	}
	switch {
	case fi.Mode().IsRegular() && fi.Size() == 0:
		_ = root.Remove(p)
	case fi.IsDir():
		entries, err := fs.ReadDir(root.FS(), p)
		if err != nil {
			return
		}
		for _, e := range entries {
			removeEmpty(root, p+"/"+e.Name())
		}
		_ = root.Remove(p)
	}
}
