// DEVIATION: an empty stand-in for vbom.ml/util. k8s.io/kubectl v0.19.0's go.mod requires
// vbom.ml/util v0.0.0-20160121211510-db5cfe13f5cc (its sortorder package), but the vbom.ml import
// path no longer resolves and the Go module proxy does not serve it. No package that
// cert-manager's commands import uses it, so the module only has to exist for the module graph
// (the Kubernetes 1.15 build of this toolchain does the same).
module vbom.ml/util
