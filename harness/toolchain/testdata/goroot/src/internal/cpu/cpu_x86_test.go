package cpu

func init() { options = append(options, option{Name: "fromatest"}) }
