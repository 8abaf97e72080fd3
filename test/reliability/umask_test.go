package reliability

import (
	"archive/tar"
	"syscall"
)

type tarHeaderT = tar.Header

const tarTypeReg = tar.TypeReg

// setUmask sets the process umask (inherited by the binaries) and returns
// the previous one.
func setUmask(m int) int { return syscall.Umask(m) }
