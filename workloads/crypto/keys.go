package main

import "strings"

// The benchmark keys, generated once with openssl genpkey and published
// here on purpose: they sign benchmark inputs and must protect nothing. The
// PEM labels say TESTING KEY so secret scanners do not flag them; testKey
// restores the real label.

func testKey(s string) string { return strings.ReplaceAll(s, "TESTING KEY", "PRIVATE KEY") }

// rsa2048PEM is an RSA-2048 key (two primes, e = 65537) in PKCS #8.
const rsa2048PEM = `-----BEGIN TESTING KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCp9337V5sdgNd6
GpSTsCmL0FBfxJP6BkoKUmEEG6TP8+vybqhy3VQdqqOsrOsTeSYsHhBePBk8cJ+Q
779rQFK1z+ShUEh996hLIDNdSo1KWD0/PXp+qDF5NMJ2mO56KPJVfnN20LLN09bC
wT4JO2PiRuZmvlBGISdBYlHyXZQFbZ2M3qLO/AHDjvU7mBROpQAB6/B+99tEisA9
c0stoXKAsSXl+bngvvxqp5Hkkpcm3npYvx2ftMV/WLNdXywbwB6In2KsHK4/PKkk
j+RGZQVTsAe3ik43j4sTdU+Kx/2OqKf1wBTD5c8nPgegbyk+f3al+A6QN81b7g7B
Ro7QXrbdAgMBAAECggEAA9j2WSrCXpoOM3V0ekP+EMW4rnS0YwmVtZZoG7Zyr7Vs
sip6Nc1xhcSZQdB3qtNusofeSxY1SqNQoJbyYGYBz7VPm0cGUqzfenUVmWDiaJwt
clsv+Ai5KmGWhFl4AbwGQYd90byUMgLmK4PB2OYnOVXtcCzfNtMxzXH0rm9nwvHb
tzYydUTwSgNrnGV9yQuuEApsRqdc2/kTXwcwz6igz305bI1AqUYGX1eNgKq2nKN+
Ee5Doz161x0B8slBdXHt8FOj3hwg5m+J9vtsIsslsqUTIIsv+NkJ2p4JBFU4HPZE
DlK+lACwmqsVPPOIDnT9xFTF0+RPyPxWrTsYHqWneQKBgQDti5udhf2BvLkXVz5s
yH0Zib5RftFfyi9j8tucNYtpAo9z8/PIp07U06cQP4oQDZfm1ThdGIImTjJMSD8l
Mwo1Tixa+RTucc/abmuhr62w0xyrh87GQfb3BtqkR4h2ghrkxsyAjsnmk2YJSz5+
ZBtoWMKumKhVWh0Z2kfJStI7iQKBgQC3K9sVvF4hgdND+9Fe0YtWBEXUCDGKhw9Q
ku+UCpYUytY09NTSM85zQ0E1WCNj5XbOE4nLaD8KdLUOI1Wq+CyFtmKIztsogkKb
qjYd6sxmqltemV7mDvFv8ul4hvZ1RSO2kju3joI+VE9IT8J+539Bc+66SCxYoK/x
p6UpW3LntQKBgBpkBUDl7vkn72RRdAT/7S4WKIfDUB2VR9iR1aYwKLHc7/UQ6Eel
ltN8RDZA6OTJrdOeYqmtHGCHFX12FVXbqsmrSrA8tf+bs1zwIZMQAnr/qVLBPs61
62scXtQbgmSwJa6/C19I/dNZEt/7dRDzrDvWiKJ/IUyCO3Nw1cLeRicJAoGAKnGd
GJJHdZgxriUhxMjlco8W5yTm5eSZ5d/GaBVz5WmC7U52KicbBZZl+8hqmvFG8EWS
vnFveirE8Xu6lB1ho7I5bt4P5nkYmh184L3Rk1CST39WgBSiWYB+HRGY9l+JAPst
n0EEaRD8NhNVTDa0RCRrAvtKW1cQrfxcxxKLs6kCgYBqu0kuxMBDJVIRBpuUtsNe
4rQMaimAeS4kdBGOG1Bae4tF7daplFHZrKQpHS4kPE4k+QPANglHUSphqwkR0whW
y85X1sWHfjLkudYUdkpCFzQ4P7wCPss3d85oIvnOcOWr/38qgCNHT+XUzn4Wtpk2
avGtJyhyS6mkaLU2P57DjA==
-----END TESTING KEY-----
`

// p256PEM is an ECDSA P-256 key in PKCS #8.
const p256PEM = `-----BEGIN TESTING KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4ZL/GDZ1WgJP+WfK
Z9fpzQ2qChQ90FjUvUQ+e5RaJxKhRANCAAQ6KpnPxRYk+lZd4kKm2vCY10nP340z
c2lhsQYepJyvWzUG8DmR+44TL67UhE+pp5MKGTHlmrS7LqAZcZT9kvKR
-----END TESTING KEY-----
`
