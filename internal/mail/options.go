package mail

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/suricron/suricron/internal/secretfile"
)

// Options are the [mail] settings of the commands that send mail
// (alert-digest, weekly-report): flags, config keys and environment
// variables declared once here and embedded in each command.
type Options struct {
	To           []string      `help:"Recipient (repeatable)." default:"root@localhost" config:"mail.to" placeholder:"ADDR"`
	From         string        `help:"Sender address (default suricron@ the name in /etc/mailname, else the host name)." config:"mail.from" placeholder:"ADDR"`
	SMTP         string        `name:"smtp" help:"SMTP server URL: smtp://host:port (STARTTLS when offered; ?starttls=required to insist) or smtps://host:port. Default smtp://localhost:25." config:"mail.smtp" placeholder:"URL" xor:"transport"`
	Sendmail     string        `help:"Pipe the message to this sendmail binary (PATH -t -i) instead of SMTP." config:"mail.sendmail" placeholder:"PATH" xor:"transport"`
	Username     string        `name:"smtp-username" help:"SMTP AUTH user (PLAIN or LOGIN, only over TLS)." config:"mail.username" placeholder:"USER"`
	PasswordFile string        `name:"smtp-password-file" help:"File holding the SMTP AUTH password." config:"mail.password_file" placeholder:"FILE"`
	CAFile       string        `name:"smtp-ca-file" help:"PEM CA file to verify the SMTP server's certificate instead of the system roots." config:"mail.ca_file" placeholder:"FILE"`
	Timeout      time.Duration `name:"mail-timeout" help:"Limit for the whole delivery (SMTP session or sendmail run)." default:"60s" config:"mail.timeout"`
}

// NewSender builds the transport the options select, reading the SMTP
// password from its file. A bad setting is a usage error (exit 2).
func (o Options) NewSender(log *slog.Logger) (Sender, error) {
	c := Config{SMTP: o.SMTP, Sendmail: o.Sendmail, Username: o.Username,
		CAFile: o.CAFile, Timeout: o.Timeout, Logger: log}
	if o.PasswordFile != "" {
		pw, err := secretfile.Read(o.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-password-file: %w", err)
		}
		c.Password = pw
	}
	s, err := NewSender(c)
	if err != nil {
		return nil, err // every NewSender error wraps ErrConfig: cli.ExitCode makes it 2
	}
	return s, nil
}
