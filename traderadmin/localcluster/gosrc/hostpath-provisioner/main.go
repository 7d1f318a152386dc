// Command hostpath-provisioner gives the local cluster a dynamic StorageClass
// named "hostpath", like Docker Desktop's: each PersistentVolumeClaim of that
// class gets a fresh world-writable directory on the node, bound as a hostPath
// PersistentVolume. The in-tree dev provisioner is not used because it creates
// 0750 root-owned directories under /tmp, which non-root pods cannot write.
//
// It polls instead of watching: a single node with a handful of claims does
// not need informers, and polling recovers from any missed event by design.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

const provisionedByAnnotation = "pv.kubernetes.io/provisioned-by"

type provisioner struct {
	client    kubernetes.Interface
	name      string
	className string
	baseDir   string
	layout    string
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig with rights on PVs and PVCs")
	name := flag.String("provisioner-name", "traderadmin.local/hostpath", "provisioner name the StorageClass refers to")
	className := flag.String("storage-class", "hostpath", "StorageClass whose claims this serves")
	baseDir := flag.String("base-dir", "", "directory under which volume directories are created")
	interval := flag.Duration("interval", 2*time.Second, "how often claims and volumes are reconciled")
	layout := flag.String("layout", "flat", `volume folders: "flat" (<namespace>_<claim>_<uid>) or "claim/pv" (<claim>/<pv>, Docker Desktop's)`)
	klog.InitFlags(nil)
	flag.Parse()
	if *baseDir == "" || *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "--base-dir and --kubeconfig are required")
		os.Exit(2)
	}
	if *layout != "flat" && *layout != "claim/pv" {
		fmt.Fprintf(os.Stderr, "--layout %q: want flat or claim/pv\n", *layout)
		os.Exit(2)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Fatalf("loading kubeconfig %s: %v", *kubeconfig, err)
	}
	if err := os.MkdirAll(*baseDir, 0o755); err != nil {
		klog.Fatalf("creating %s: %v", *baseDir, err)
	}
	p := &provisioner{
		client:    kubernetes.NewForConfigOrDie(cfg),
		name:      *name,
		className: *className,
		baseDir:   filepath.Clean(*baseDir),
		layout:    *layout,
	}
	klog.Infof("serving StorageClass %q as %q under %s", p.className, p.name, p.baseDir)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		p.reconcile(ctx)
		cancel()
		time.Sleep(*interval)
	}
}

func (p *provisioner) reconcile(ctx context.Context) {
	claims, err := p.client.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		klog.Errorf("listing claims: %v", err)
		return
	}
	for i := range claims.Items {
		claim := &claims.Items[i]
		if p.wants(claim) {
			if err := p.provision(ctx, claim); err != nil {
				klog.Errorf("provisioning %s/%s: %v", claim.Namespace, claim.Name, err)
			}
		}
	}
	volumes, err := p.client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		klog.Errorf("listing volumes: %v", err)
		return
	}
	for i := range volumes.Items {
		pv := &volumes.Items[i]
		if pv.Annotations[provisionedByAnnotation] == p.name &&
			pv.Status.Phase == corev1.VolumeReleased &&
			pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete {
			if err := p.remove(ctx, pv); err != nil {
				klog.Errorf("deleting %s: %v", pv.Name, err)
			}
		}
	}
}

func (p *provisioner) wants(claim *corev1.PersistentVolumeClaim) bool {
	if claim.Spec.VolumeName != "" || claim.Status.Phase != corev1.ClaimPending || claim.DeletionTimestamp != nil {
		return false
	}
	return claim.Spec.StorageClassName != nil && *claim.Spec.StorageClassName == p.className
}

func (p *provisioner) provision(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	name := "pvc-" + string(claim.UID)
	dir := filepath.Join(p.baseDir, fmt.Sprintf("%s_%s_%s", claim.Namespace, claim.Name, claim.UID))
	if p.layout == "claim/pv" {
		dir = filepath.Join(p.baseDir, claim.Name, name)
	}
	// Root-owned 0755, as Docker Desktop's hostpath and kind's local-path volumes are, and
	// fsGroup never changes a hostPath: a non-root pod cannot write here unless something
	// running as root hands the folder over. The stack must cope; hiding it helps no one.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	hostPathType := corev1.HostPathDirectoryOrCreate
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{provisionedByAnnotation: p.name},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: claim.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   claim.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              p.className,
			VolumeMode:                    claim.Spec.VolumeMode,
			ClaimRef: &corev1.ObjectReference{
				Kind:       "PersistentVolumeClaim",
				APIVersion: "v1",
				Namespace:  claim.Namespace,
				Name:       claim.Name,
				UID:        claim.UID,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: &hostPathType},
			},
		},
	}
	_, err := p.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err == nil {
		klog.Infof("provisioned %s for %s/%s at %s", name, claim.Namespace, claim.Name, dir)
	}
	return err
}

func (p *provisioner) remove(ctx context.Context, pv *corev1.PersistentVolume) error {
	if pv.Spec.HostPath != nil {
		dir := filepath.Clean(pv.Spec.HostPath.Path)
		// Never delete outside the directory this provisioner owns.
		if !strings.HasPrefix(dir, p.baseDir+string(filepath.Separator)) {
			return fmt.Errorf("refusing to delete %s: not under %s", dir, p.baseDir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		// claim/pv: the claim's folder goes with its last volume (Remove fails, harmlessly, on a non-empty one).
		if parent := filepath.Dir(dir); parent != p.baseDir {
			_ = os.Remove(parent)
		}
	}
	err := p.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err == nil {
		klog.Infof("deleted %s", pv.Name)
	}
	return err
}
