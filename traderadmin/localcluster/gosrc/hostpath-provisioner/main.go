// Command hostpath-provisioner gives the local cluster dynamic StorageClasses
// named like the cluster it stands in for (Docker Desktop's "hostpath", its kind
// mode's "standard" and "hostpath"): each PersistentVolumeClaim of those classes
// gets a fresh directory on the node, root-owned 0755 as theirs are, bound as a
// hostPath PersistentVolume. A WaitForFirstConsumer class is served once the
// scheduler has picked the node, and the volume is pinned to that node, as
// rancher.io/local-path does.
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
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

const provisionedByAnnotation = "pv.kubernetes.io/provisioned-by"

type provisioner struct {
	client  kubernetes.Interface
	name    string
	classes map[string]bool
	baseDir string
	layout  string
}

// selectedNodeAnnotation is set on a claim by the scheduler once a pod using it
// (WaitForFirstConsumer) has a node.
const selectedNodeAnnotation = "volume.kubernetes.io/selected-node"

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig with rights on PVs and PVCs")
	name := flag.String("provisioner-name", "traderadmin.local/hostpath", "provisioner name the StorageClass refers to")
	classNames := flag.String("storage-class", "hostpath", "StorageClasses whose claims this serves, comma-separated")
	baseDir := flag.String("base-dir", "", "directory under which volume directories are created")
	interval := flag.Duration("interval", 2*time.Second, "how often claims and volumes are reconciled")
	layout := flag.String("layout", "flat", `volume folders: "flat" (<namespace>_<claim>_<uid>), "claim/pv" (<claim>/<pv>, Docker Desktop's) or "local-path" (<pv>_<namespace>_<claim>)`)
	klog.InitFlags(nil)
	flag.Parse()
	if *baseDir == "" || *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "--base-dir and --kubeconfig are required")
		os.Exit(2)
	}
	if *layout != "flat" && *layout != "claim/pv" && *layout != "local-path" {
		fmt.Fprintf(os.Stderr, "--layout %q: want flat, claim/pv or local-path\n", *layout)
		os.Exit(2)
	}
	classes := map[string]bool{}
	for _, c := range strings.Split(*classNames, ",") {
		if c = strings.TrimSpace(c); c != "" {
			classes[c] = true
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Fatalf("loading kubeconfig %s: %v", *kubeconfig, err)
	}
	if err := os.MkdirAll(*baseDir, 0o755); err != nil {
		klog.Fatalf("creating %s: %v", *baseDir, err)
	}
	p := &provisioner{
		client:  kubernetes.NewForConfigOrDie(cfg),
		name:    *name,
		classes: classes,
		baseDir: filepath.Clean(*baseDir),
		layout:  *layout,
	}
	klog.Infof("serving StorageClasses %s as %q under %s", *classNames, p.name, p.baseDir)
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
		if p.wants(ctx, claim) {
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

func (p *provisioner) wants(ctx context.Context, claim *corev1.PersistentVolumeClaim) bool {
	if claim.Spec.VolumeName != "" || claim.Status.Phase != corev1.ClaimPending || claim.DeletionTimestamp != nil {
		return false
	}
	if claim.Spec.StorageClassName == nil || !p.classes[*claim.Spec.StorageClassName] {
		return false
	}
	if claim.Annotations[selectedNodeAnnotation] != "" {
		return true
	}
	class, err := p.client.StorageV1().StorageClasses().Get(ctx, *claim.Spec.StorageClassName, metav1.GetOptions{})
	if err != nil {
		klog.Errorf("reading StorageClass %s: %v", *claim.Spec.StorageClassName, err)
		return false
	}
	// WaitForFirstConsumer: the volume must go where the scheduler puts its first pod.
	return class.VolumeBindingMode == nil || *class.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer
}

// dirFor is where a claim's volume lives, laid out like the provisioner this one stands in for.
func (p *provisioner) dirFor(claim *corev1.PersistentVolumeClaim, pvName string) string {
	switch p.layout {
	case "claim/pv":
		return filepath.Join(p.baseDir, claim.Name, pvName)
	case "local-path":
		return filepath.Join(p.baseDir, fmt.Sprintf("%s_%s_%s", pvName, claim.Namespace, claim.Name))
	}
	return filepath.Join(p.baseDir, fmt.Sprintf("%s_%s_%s", claim.Namespace, claim.Name, claim.UID))
}

func (p *provisioner) provision(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	pv := p.volumeFor(claim)
	dir := pv.Spec.HostPath.Path
	// Root-owned 0755, as Docker Desktop's hostpath and kind's local-path volumes are, and
	// fsGroup never changes a hostPath: a non-root pod cannot write here unless something
	// running as root hands the folder over. The stack must cope; hiding it helps no one.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	_, err := p.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err == nil {
		klog.Infof("provisioned %s for %s/%s at %s", pv.Name, claim.Namespace, claim.Name, dir)
	}
	return err
}

// volumeFor is the PersistentVolume bound to claim: a hostPath on the node, pinned
// to the scheduler's node when there is one (a hostPath exists on one node only).
func (p *provisioner) volumeFor(claim *corev1.PersistentVolumeClaim) *corev1.PersistentVolume {
	name := "pvc-" + string(claim.UID)
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
			StorageClassName:              *claim.Spec.StorageClassName,
			VolumeMode:                    claim.Spec.VolumeMode,
			ClaimRef: &corev1.ObjectReference{
				Kind:       "PersistentVolumeClaim",
				APIVersion: "v1",
				Namespace:  claim.Namespace,
				Name:       claim.Name,
				UID:        claim.UID,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: p.dirFor(claim, name), Type: &hostPathType},
			},
		},
	}
	if node := claim.Annotations[selectedNodeAnnotation]; node != "" {
		pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
				Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{node},
			}}}},
		}}
	}
	return pv
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
