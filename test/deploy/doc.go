// Package deploy holds the deployment tests of suricron: the cron.d file,
// the systemd units, the example config, service mode through a built
// binary, `make install`, and (with SURICRON_DPKG_TEST=1, as root) the
// .deb installed with dpkg and every job run from it. The package has no
// code of its own; its tests build the commands and read the files that
// operators install.
package deploy
