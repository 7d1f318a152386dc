package cluster

import (
	"context"
	"io"
	"net/url"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// Kube is the part of the Kubernetes API the app uses. The binary talks to
// the API server with client-go's REST client and only the core/v1 and
// apps/v1 types (restKube): the full typed clientset would link every API
// group and add some 30 MB to the app. Tests put client-go's fake
// clientset behind the same interface.
type Kube interface {
	Pods(ctx context.Context, namespace, selector string) ([]corev1.Pod, error)
	// Deployment returns an error apierrors.IsNotFound recognises when there is none.
	Deployment(ctx context.Context, namespace, name string) (*appsv1.Deployment, error)
	PatchDeployment(ctx context.Context, namespace, name string, pt types.PatchType, patch []byte) error
	// ProxyGet GETs http://POD:PORT/PATH through the API server's pod proxy.
	ProxyGet(ctx context.Context, namespace, pod string, port int, path string) ([]byte, error)
	Logs(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) (io.ReadCloser, error)
}

// restKube is Kube over client-go's REST client.
type restKube struct {
	core, apps rest.Interface
	params     runtime.ParameterCodec
}

func newRestKube(cfg *rest.Config) (*restKube, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	codecs := serializer.NewCodecFactory(scheme)
	client := func(gv schema.GroupVersion, apiPath string) (rest.Interface, error) {
		c := rest.CopyConfig(cfg)
		c.GroupVersion = &gv
		c.APIPath = apiPath
		c.NegotiatedSerializer = codecs.WithoutConversion()
		if c.UserAgent == "" {
			c.UserAgent = rest.DefaultKubernetesUserAgent()
		}
		return rest.RESTClientFor(c)
	}
	core, err := client(corev1.SchemeGroupVersion, "/api")
	if err != nil {
		return nil, err
	}
	apps, err := client(appsv1.SchemeGroupVersion, "/apis")
	if err != nil {
		return nil, err
	}
	return &restKube{core: core, apps: apps, params: runtime.NewParameterCodec(scheme)}, nil
}

func (k *restKube) Pods(ctx context.Context, namespace, selector string) ([]corev1.Pod, error) {
	var list corev1.PodList
	err := k.core.Get().Namespace(namespace).Resource("pods").
		VersionedParams(&metav1.ListOptions{LabelSelector: selector}, k.params).Do(ctx).Into(&list)
	return list.Items, err
}

func (k *restKube) Deployment(ctx context.Context, namespace, name string) (*appsv1.Deployment, error) {
	var d appsv1.Deployment
	err := k.apps.Get().Namespace(namespace).Resource("deployments").Name(name).Do(ctx).Into(&d)
	return &d, err
}

func (k *restKube) PatchDeployment(ctx context.Context, namespace, name string, pt types.PatchType, patch []byte) error {
	return k.apps.Patch(pt).Namespace(namespace).Resource("deployments").Name(name).Body(patch).Do(ctx).Error()
}

func (k *restKube) ProxyGet(ctx context.Context, namespace, pod string, port int, path string) ([]byte, error) {
	return k.core.Get().Namespace(namespace).Resource("pods").Name("http:" + pod + ":" + strconv.Itoa(port)).
		SubResource("proxy").Suffix(path).DoRaw(ctx)
}

func (k *restKube) Logs(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	return k.core.Get().Namespace(namespace).Resource("pods").Name(pod).SubResource("log").
		VersionedParams(opts, k.params).Stream(ctx)
}

// execURL is the exec subresource of a pod, with the command in its query.
func (k *restKube) execURL(namespace, pod string, opts *corev1.PodExecOptions) *url.URL {
	return k.core.Post().Namespace(namespace).Resource("pods").Name(pod).SubResource("exec").VersionedParams(opts, k.params).URL()
}

// version asks the API server for /version: does it answer at all?
func (k *restKube) version(ctx context.Context) error {
	return k.core.Get().AbsPath("/version").Do(ctx).Error()
}
