// Package glog stands in for github.com/golang/glog in the toolchain's build of cert-manager v0.6.2
// (scripts/toolchain-cert-manager.sh): every function forwards to k8s.io/klog, the fork of glog that
// the Kubernetes 1.14 libraries of this build log through.
//
// Why: glog and klog both define the logging flags (-v, -log_dir, -logtostderr, ...) on the global
// flag set (glog in its init, klog through k8s.io/component-base/logs), so a binary linking both
// panics at start ("flag redefined: log_dir"): the webhook does. Forwarding makes one logger with
// one set of flags, as when Kubernetes (1.14) and cert-manager (v0.7) moved from glog to klog.
//
// What differs from glog, and why it does not matter here:
//   - This package defines no flags. klog's are defined on the global flag set by
//     k8s.io/component-base/logs (webhook) and by cert-manager's pkg/logs (controller, see
//     patches/0002-logs-register-klog-flags.patch), with the same names as glog's (klog adds
//     -log_file and -skip_headers).
//   - V(level) is decided by klog from the caller of this package's V, so -vmodule patterns would
//     match this file rather than the caller's; -v works as before. The release's charts do not
//     use -vmodule.
//   - Stats and MaxSize are not forwarded: nothing in these binaries uses them (a use would fail to
//     compile, not misbehave).
//   - Log lines keep the caller's file:line (the *Depth functions skip this package's frame).
package glog

import (
	"fmt"

	"k8s.io/klog"
)

// Level is glog's verbosity level (a flag.Value); klog's has the same methods.
type Level = klog.Level

// Verbose is what V returns: its methods log only when the level is enabled.
type Verbose bool

// V reports whether verbosity at the given level is enabled.
func V(level Level) Verbose { return Verbose(klog.V(level)) }

// Info logs to the INFO log when v is true.
func (v Verbose) Info(args ...interface{}) {
	if v {
		klog.InfoDepth(1, fmt.Sprint(args...))
	}
}

// Infoln logs to the INFO log when v is true.
func (v Verbose) Infoln(args ...interface{}) {
	if v {
		klog.InfoDepth(1, fmt.Sprintln(args...))
	}
}

// Infof logs to the INFO log when v is true.
func (v Verbose) Infof(format string, args ...interface{}) {
	if v {
		klog.InfoDepth(1, fmt.Sprintf(format, args...))
	}
}

func Info(args ...interface{})                    { klog.InfoDepth(1, fmt.Sprint(args...)) }
func InfoDepth(depth int, args ...interface{})    { klog.InfoDepth(depth+1, fmt.Sprint(args...)) }
func Infoln(args ...interface{})                  { klog.InfoDepth(1, fmt.Sprintln(args...)) }
func Infof(format string, args ...interface{})    { klog.InfoDepth(1, fmt.Sprintf(format, args...)) }
func Warning(args ...interface{})                 { klog.WarningDepth(1, fmt.Sprint(args...)) }
func WarningDepth(depth int, args ...interface{}) { klog.WarningDepth(depth+1, fmt.Sprint(args...)) }
func Warningln(args ...interface{})               { klog.WarningDepth(1, fmt.Sprintln(args...)) }
func Warningf(format string, args ...interface{}) { klog.WarningDepth(1, fmt.Sprintf(format, args...)) }
func Error(args ...interface{})                   { klog.ErrorDepth(1, fmt.Sprint(args...)) }
func ErrorDepth(depth int, args ...interface{})   { klog.ErrorDepth(depth+1, fmt.Sprint(args...)) }
func Errorln(args ...interface{})                 { klog.ErrorDepth(1, fmt.Sprintln(args...)) }
func Errorf(format string, args ...interface{})   { klog.ErrorDepth(1, fmt.Sprintf(format, args...)) }

// Fatal* log, dump every goroutine's stack and exit with status 255, as glog's.
func Fatal(args ...interface{})                 { klog.FatalDepth(1, fmt.Sprint(args...)) }
func FatalDepth(depth int, args ...interface{}) { klog.FatalDepth(depth+1, fmt.Sprint(args...)) }
func Fatalln(args ...interface{})               { klog.FatalDepth(1, fmt.Sprintln(args...)) }
func Fatalf(format string, args ...interface{}) { klog.FatalDepth(1, fmt.Sprintf(format, args...)) }

// Exit* log and exit with status 1, as glog's.
func Exit(args ...interface{})                 { klog.ExitDepth(1, fmt.Sprint(args...)) }
func ExitDepth(depth int, args ...interface{}) { klog.ExitDepth(depth+1, fmt.Sprint(args...)) }
func Exitln(args ...interface{})               { klog.ExitDepth(1, fmt.Sprintln(args...)) }
func Exitf(format string, args ...interface{}) { klog.ExitDepth(1, fmt.Sprintf(format, args...)) }

// Flush flushes all pending log I/O.
func Flush() { klog.Flush() }

// CopyStandardLogTo arranges for messages written to the standard log package to go to the named
// severity's log too.
func CopyStandardLogTo(name string) { klog.CopyStandardLogTo(name) }
