package gen

import "math/rand/v2"

// Word lists for app-layer fields. They are functions returning fresh
// slices rather than package variables so that nothing global is mutable.

func domains() []string {
	return []string{
		"google.com", "youtube.com", "microsoft.com", "windowsupdate.com", "apple.com",
		"icloud.com", "amazon.com", "amazonaws.com", "cloudflare.com", "github.com",
		"githubusercontent.com", "debian.org", "deb.debian.org", "ubuntu.com", "wikipedia.org",
		"mozilla.org", "firefox.com", "netflix.com", "nflxvideo.net", "spotify.com",
		"office.com", "live.com", "outlook.com", "facebook.com", "instagram.com",
		"whatsapp.net", "slack.com", "zoom.us", "dropbox.com", "akamaiedge.net",
		"fastly.net", "gstatic.com", "doubleclick.net", "bing.com", "duckduckgo.com",
		"pool.ntp.org", "letsencrypt.org", "docker.io", "golang.org", "pypi.org",
		"example.com", "ttisecurity.com", "xn--80ak6aa92e.com", "a-very-long-subdomain-name-used-by-telemetry.vortex.data.microsoft.com",
	}
}

func httpPaths() []string {
	return []string{
		"/", "/index.html", "/favicon.ico", "/debian/dists/bookworm/InRelease",
		"/ubuntu/pool/main/o/openssl/libssl3_3.0.2-0ubuntu1.10_amd64.deb", "/api/v1/status",
		"/wp-login.php", "/.env", "/cgi-bin/luci/;stok=/locale", "/hh/hh.html", "/hh/hello.png",
		"/msdownload/update/v3/static/trustedr/en/authrootstl.cab", "/success.txt",
		"/generate_204", "/connecttest.txt", "/images/logo.png?v=3", "/login?next=%2Fadmin",
	}
}

func userAgents() []string {
	return []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
		"Debian APT-HTTP/1.3 (2.6.1)", "curl/7.88.1", "Wget/1.21.3", "python-requests/2.31.0",
		"Microsoft-CryptoAPI/10.0", "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.50",
		"Go-http-client/1.1",
	}
}

func ja3Strings() []string {
	return []string{
		"771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0",
		"771,49196-49195-49200-49199-49188-49187-49192-49191-49162-49161-49172-49171-157-156-61-60-53-47-10,0-10-11-13-35-16-23-65281,29-23-24,0",
		"771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-51-43-13-45-28-21,29-23-24-25-256-257,0",
	}
}

// hostileString returns a valid but nasty value: what a renderer, a mail
// body, a terminal or a spreadsheet must display without being fooled.
func hostileString(r *rand.Rand) string {
	s := []string{
		`"><script>alert(document.cookie)</script>`,
		"\x1b[31mALERT\x1b[0m\x1b]0;owned\x07 terminal escape",
		"line one\r\nX-Injected-Header: yes\r\n\r\nbody",
		`quote " backslash \ and 'single' quotes`,
		"naïve café ☃ 日本語 \u202egnp.exe (RTL override)",
		"=HYPERLINK(\"http://example.invalid/\",\"click\")",
		"tab\there\u0000nul and \u2028 line separator",
		"<img src=x onerror=alert(1)>&amp;&lt;",
	}
	return s[r.IntN(len(s))]
}

// hostileSignature is a local rule whose message carries the same hostile
// strings, for testing how alert text is rendered. It exists only with
// Config.Hostile and is not part of the rules tarball.
func hostileSignature() Signature {
	return Signature{
		SID: 9999901, Rev: 1, GID: 1,
		Msg:       "LOCAL \"quoted\" <script>alert('x')</script> naïve ☃\r\nInjected: yes \x1b[2J",
		Classtype: "web-application-attack", Category: "Web Application Attack", Severity: 1,
		Proto: "http", DstHome: true, DstPort: "any",
	}
}
