package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func claim(class string, annotations map[string]string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "trader-config", Namespace: "trading", UID: "u1", Annotations: annotations},
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: &class,
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse("100Mi")}},
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
}

func class(name string, mode storagev1.VolumeBindingMode) *storagev1.StorageClass {
	return &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: "rancher.io/local-path", VolumeBindingMode: &mode}
}

func newProvisioner(t *testing.T, layout string) *provisioner {
	t.Helper()
	client := fake.NewSimpleClientset(
		class("standard", storagev1.VolumeBindingWaitForFirstConsumer),
		class("hostpath", storagev1.VolumeBindingImmediate),
	)
	return &provisioner{client: client, name: "rancher.io/local-path", classes: map[string]bool{"standard": true, "hostpath": true},
		baseDir: t.TempDir(), layout: layout}
}

func TestWants(t *testing.T) {
	p := newProvisioner(t, "local-path")
	bound := claim("hostpath", nil)
	bound.Spec.VolumeName = "pv1"
	for _, tc := range []struct {
		name  string
		claim *corev1.PersistentVolumeClaim
		want  bool
	}{
		{"immediate class", claim("hostpath", nil), true},
		{"first consumer not scheduled yet", claim("standard", nil), false},
		{"first consumer scheduled", claim("standard", map[string]string{selectedNodeAnnotation: "desktop-control-plane"}), true},
		{"another class", claim("fast-ssd", nil), false},
		{"already bound", bound, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.wants(context.Background(), tc.claim); got != tc.want {
				t.Fatalf("wants = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVolumeLayouts(t *testing.T) {
	for _, tc := range []struct{ layout, want string }{
		{"flat", "trading_trader-config_u1"},
		{"claim/pv", "trader-config/pvc-u1"},
		{"local-path", "pvc-u1_trading_trader-config"},
	} {
		p := newProvisioner(t, tc.layout)
		if got := p.volumeFor(claim("hostpath", nil)).Spec.HostPath.Path; got != filepath.Join(p.baseDir, tc.want) {
			t.Errorf("%s: path %s, want %s", tc.layout, got, tc.want)
		}
	}
}

func TestVolumeIsPinnedToTheSchedulersNode(t *testing.T) {
	p := newProvisioner(t, "local-path")
	pv := p.volumeFor(claim("standard", map[string]string{selectedNodeAnnotation: "desktop-worker"}))
	terms := pv.Spec.NodeAffinity.Required.NodeSelectorTerms
	if len(terms) != 1 || terms[0].MatchExpressions[0].Values[0] != "desktop-worker" ||
		terms[0].MatchExpressions[0].Key != "kubernetes.io/hostname" {
		t.Fatalf("node affinity %+v", pv.Spec.NodeAffinity)
	}
	if pv.Spec.StorageClassName != "standard" {
		t.Fatalf("class %q", pv.Spec.StorageClassName)
	}
	if p.volumeFor(claim("hostpath", nil)).Spec.NodeAffinity != nil {
		t.Fatal("an Immediate volume without a selected node got pinned")
	}
}

func TestProvisionMakesARootOwned0755Folder(t *testing.T) {
	p := newProvisioner(t, "claim/pv")
	// A strict umask must not leave the folder unreadable to the pods.
	defer syscall.Umask(syscall.Umask(0o077))
	if err := p.provision(context.Background(), claim("hostpath", nil)); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(p.baseDir, "trader-config", "pvc-u1"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o755 {
		t.Fatalf("mode %o, want 755", info.Mode().Perm())
	}
	if _, err := p.client.CoreV1().PersistentVolumes().Get(context.Background(), "pvc-u1", metav1.GetOptions{}); err != nil {
		t.Fatalf("no PersistentVolume: %v", err)
	}
}
