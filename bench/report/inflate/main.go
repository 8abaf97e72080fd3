// Command inflate is the benchmark's anchor for gzip input: it inflates
// the given files with klauspost/compress (the library the report reads
// .gz with) into io.Discard and prints the decompressed byte count, so
// "within 1.5× of inflating the gzip half" compares like with like.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	kgzip "github.com/klauspost/compress/gzip"
)

func main() {
	var total int64
	for _, p := range os.Args[1:] {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		zr, err := kgzip.NewReader(bufio.NewReaderSize(f, 256<<10))
		if err != nil {
			fmt.Fprintln(os.Stderr, p, err)
			os.Exit(1)
		}
		n, err := io.Copy(io.Discard, zr)
		if err != nil {
			fmt.Fprintln(os.Stderr, p, err)
			os.Exit(1)
		}
		total += n
		f.Close()
	}
	fmt.Println(total)
}
