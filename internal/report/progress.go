package report

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress shows how far an ad-hoc scan has read: bytes of the input files
// as stored on disk (compressed for .gz), so the total is known up front.
type Progress interface {
	Set(read int64)
	Finish()
}

// ProgressFunc starts a Progress for total bytes; Deps.Progress nil shows
// nothing.
type ProgressFunc func(total int64) Progress

// WantProgress decides whether an ad-hoc report shows progress on stderr:
// only when stderr is a terminal (never in cron, whose stderr is a pipe to
// mail, nor redirected to a file) and the logs are not JSON (a machine
// reads those). isTerminal is term.IsTerminal; tests inject it.
func WantProgress(stderr io.Writer, logFormat string, isTerminal func(fd int) bool) bool {
	if logFormat == "json" {
		return false
	}
	f, ok := stderr.(*os.File)
	if !ok || f == nil {
		return false
	}
	return isTerminal(int(f.Fd()))
}

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd int) bool { return term.IsTerminal(fd) }

// TerminalProgress draws a progress bar with bytes, rate and ETA on w
// (schollz/progressbar), cleared when done so the report that follows on
// stdout starts on a clean line.
func TerminalProgress(w io.Writer) ProgressFunc {
	return func(total int64) Progress {
		return barProgress{progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("reading eve"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionUseANSICodes(true),
			// Drawn at once, so even a short scan shows it started.
			progressbar.OptionSetRenderBlankState(true),
		)}
	}
}

type barProgress struct{ b *progressbar.ProgressBar }

func (p barProgress) Set(n int64) { _ = p.b.Set64(n) }
func (p barProgress) Finish()     { _ = p.b.Finish() }

// noProgress is the Progress of a run without one.
type noProgress struct{}

func (noProgress) Set(int64) {}
func (noProgress) Finish()   {}
