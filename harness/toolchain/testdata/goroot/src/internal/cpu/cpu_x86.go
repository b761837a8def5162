//go:build 386 || amd64

package cpu

var hasADX, hasAVX, hasAVX2, hasPOPCNT, hasAVX512F bool

func doinit() {
	options = []option{
		{Name: "adx", Feature: &hasADX},
	}
	level := getGOAMD64level()
	if level < 2 {
		options = append(options,
			option{Name: "popcnt", Feature: &hasPOPCNT})
	}
	if level < 3 {
		options = append(options,
			option{Name: "avx", Feature: &hasAVX},
			option{Name: "avx2", Feature: &hasAVX2})
	}
	if level < 4 {
		options = append(options, option{Name: "avx512f", Feature: &hasAVX512F})
	}
}

func getGOAMD64level() int32 { return 1 }
