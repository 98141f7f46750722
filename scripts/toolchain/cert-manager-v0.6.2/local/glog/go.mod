// Stands in for github.com/golang/glog in the cert-manager v0.6.2 build: forwards to k8s.io/klog.
// See glog.go and the replace in ../../go.mod.
module github.com/golang/glog

go 1.12

require k8s.io/klog v0.2.0
