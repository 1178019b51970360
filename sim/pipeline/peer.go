package pipeline

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// socketInode finds the inode of the client-side socket of a loopback TCP
// connection, given the address the server saw as remote (the client's
// local address) and the server's port, from /proc/net/tcp. Knowing the
// inode tells which process holds the connection.
func socketInode(remoteAddr string, serverPort int) (string, error) {
	host, portStr, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return "", err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || net.ParseIP(host).To4() == nil {
		return "", fmt.Errorf("remote address %q: want an IPv4 host:port", remoteAddr)
	}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		if hexPort(fields[1]) == port && hexPort(fields[2]) == serverPort {
			return fields[9], nil
		}
	}
	return "", fmt.Errorf("no TCP socket from port %d to port %d", port, serverPort)
}

// hexPort reads the port of a /proc/net/tcp address ("0100007F:1F90").
func hexPort(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return -1
	}
	p, err := strconv.ParseInt(addr[i+1:], 16, 32)
	if err != nil {
		return -1
	}
	return int(p)
}

// holdsSocket reports whether process pid has the socket inode open.
func holdsSocket(pid int, inode string) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	want := "socket:[" + inode + "]"
	for _, e := range entries {
		if link, err := os.Readlink(dir + "/" + e.Name()); err == nil && link == want {
			return true
		}
	}
	return false
}
