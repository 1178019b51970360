//go:build unix && !linux

package session

import "syscall"

// sessionAttr starts the child in its own session. Only Linux offers a
// parent-death signal; elsewhere the cleanup stack alone stops the tree.
func sessionAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}
