package cpu

var hasAES, hasSHA512 bool

func doinit() {
	options = []option{
		{Name: "aes", Feature: &hasAES},
		{Name: "sha512", Feature: &hasSHA512},
	}
}
