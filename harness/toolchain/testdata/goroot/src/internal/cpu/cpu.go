// A trimmed copy of the shape of internal/cpu, for TestReadCPUOptions.
package cpu

type option struct {
	Name      string
	Feature   *bool
	Specified bool
	Enable    bool
}

var options []option
