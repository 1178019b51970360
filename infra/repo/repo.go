// Package repo locates the orderly repository on disk, so that the app, the
// deploy tools, the simulator and the tests find cdk.json, the consumer's
// sources and the pinned tools the same way, wherever they run from.
package repo

import (
	"fmt"
	"os"
	"path/filepath"
)

// Root returns the directory holding go.mod, starting at dir and walking up.
func Root(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod found in %s or any parent: run from inside the orderly repository", dir)
		}
	}
}

// WorkingRoot is Root of the working directory: tests run in their package
// directory, commands anywhere below the root.
func WorkingRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return Root(wd)
}
