//go:build cgo

package main

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The same layout as hdr in graph.go.
typedef struct hobj {
	struct hobj *next;
	uint32_t size;
	uint32_t val;
} hobj;

// graph_cycle builds the list of n objects of the given sizes with malloc,
// writes each as fill does, walks and sums it as walk does, and frees it.
// It returns the sum, or 0 if malloc failed (no graph sums to 0).
static uint64_t graph_cycle(const uint16_t *sizes, size_t n) {
	hobj *head = NULL;
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		size_t size = sizes[i];
		hobj *o = malloc(size);
		if (o == NULL) {
			failed = 1;
			break;
		}
		o->next = head;
		o->size = (uint32_t)size;
		o->val = (uint32_t)i * 0x9e3779b1u;
		if (size > sizeof(hobj)) {
			((unsigned char *)o)[size - 1] = (unsigned char)i;
		}
		head = o;
	}
	uint64_t sum = 0;
	for (hobj *o = head; o != NULL; o = o->next) {
		sum += (uint64_t)o->size + o->val;
		if (o->size > sizeof(hobj)) {
			sum += ((unsigned char *)o)[o->size - 1];
		}
	}
	while (head != NULL) {
		hobj *next = head->next;
		free(head);
		head = next;
	}
	return failed ? 0 : sum;
}

// malloc_addr is where the malloc that C code calls lives.
static uintptr_t malloc_addr(void) {
	return (uintptr_t)dlsym(RTLD_DEFAULT, "malloc");
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/perfharness/harness/workloads/driver"
)

func addCgoOp(o driver.Ops) {
	o["cgo-malloc"] = &cgoOp{graphOp: graphOp{kind: "cgo-malloc"}}
}

// mallocAddr is the address of the malloc that C code calls.
func mallocAddr() (uintptr, bool) {
	a := uintptr(C.malloc_addr())
	return a, a != 0
}

// A cgoOp builds the graph with C malloc and free, one C call per op. The
// sizes live in C memory so the call passes no Go pointer (and cgocheck has
// nothing to check).
type cgoOp struct {
	graphOp
	sizes *C.uint16_t
}

// Setup implements driver.Op.
func (o *cgoOp) Setup(ctx context.Context, p driver.Params) error {
	if err := o.graphOp.Setup(ctx, p); err != nil {
		return err
	}
	n := len(o.shape.sizes)
	o.sizes = (*C.uint16_t)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(uint16(0)))))
	if o.sizes == nil {
		return errors.New("malloc of the size table failed")
	}
	copy(unsafe.Slice((*uint16)(unsafe.Pointer(o.sizes)), n), o.shape.sizes)
	return nil
}

// Do implements driver.Op.
func (o *cgoOp) Do(context.Context) error {
	sum := uint64(C.graph_cycle(o.sizes, C.size_t(len(o.shape.sizes))))
	if sum == 0 {
		return fmt.Errorf("cgo-malloc: malloc returned NULL")
	}
	return o.check(sum)
}

// Teardown implements driver.Op.
func (o *cgoOp) Teardown() {
	C.free(unsafe.Pointer(o.sizes))
	o.sizes = nil
}
