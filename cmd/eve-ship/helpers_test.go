package main

import (
	"net"
	"net/http"
	"testing"
)

// newLocalServer serves h on a free 127.0.0.1 port until the test ends.
func newLocalServer(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}
