"""A small CRI client: the calls the kubelet makes for a pod's sandbox.

The stubs are generated from runtime.proto (beside this file) with
grpc_tools.protoc into a directory the caller gives, at test time (Debian's
python3-grpcio and python3-grpc-tools).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


class CriError(Exception):
    def __init__(self, call, rpc_error):
        self.call = call
        self.code = rpc_error.code().name if hasattr(rpc_error, "code") else "UNKNOWN"
        self.details = rpc_error.details() if hasattr(rpc_error, "details") else str(rpc_error)
        super().__init__("%s: %s %s" % (call, self.code, self.details))


def generate(out_dir):
    """Compile runtime.proto into out_dir; returns (messages, stubs) modules."""
    os.makedirs(out_dir, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", HERE, "--python_out=" + out_dir,
                           "--grpc_python_out=" + out_dir, os.path.join(HERE, "runtime.proto")],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("protoc: %s" % proc.stderr)
    sys.path.insert(0, out_dir)
    import runtime_pb2
    import runtime_pb2_grpc
    return runtime_pb2, runtime_pb2_grpc


class Cri:
    """The RuntimeService of a CRI endpoint on a unix socket."""

    def __init__(self, socket_path, stub_dir, timeout=60):
        import grpc
        self.grpc = grpc
        self.pb, stubs = generate(stub_dir)
        self.channel = grpc.insecure_channel("unix://" + socket_path)
        self.stub = stubs.RuntimeServiceStub(self.channel)
        self.timeout = timeout

    def close(self):
        self.channel.close()

    def _call(self, name, request):
        try:
            return getattr(self.stub, name)(request, timeout=self.timeout)
        except self.grpc.RpcError as e:
            raise CriError(name, e) from None

    def version(self):
        return self._call("Version", self.pb.VersionRequest(version="v1"))

    def status(self, verbose=False):
        return self._call("Status", self.pb.StatusRequest(verbose=verbose))

    def conditions(self):
        return {c.type: c.status for c in self.status().status.conditions}

    def run_pod(self, name, namespace, annotations=None, ports=(), cgroup_parent="", labels=None):
        """RunPodSandbox as the kubelet sends it for a pod; ports are
        (host_ip, host_port, container_port, protocol) tuples. The kubelet
        adds kubernetes.io/config.* annotations to every pod it runs;
        annotations=None sends none at all. Returns the sandbox ID."""
        pb = self.pb
        if annotations is not None:
            annotations = dict({"kubernetes.io/config.source": "api",
                                "kubernetes.io/config.seen": "2026-01-01T00:00:00.000000000Z"}, **annotations)
        mappings = [pb.PortMapping(protocol=getattr(pb, proto.upper()), container_port=cport, host_port=hport,
                                   host_ip=hip) for hip, hport, cport, proto in ports]
        config = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid="uid-%s-%s" % (namespace, name), namespace=namespace,
                                           attempt=0),
            hostname=name, port_mappings=mappings, labels=dict(labels or {}, app=name),
            annotations=dict(annotations or {}),
            linux=pb.LinuxPodSandboxConfig(cgroup_parent=cgroup_parent, security_context=pb.LinuxSandboxSecurityContext(
                namespace_options=pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD))))
        return self._call("RunPodSandbox", pb.RunPodSandboxRequest(config=config)).pod_sandbox_id

    def stop_pod(self, pod_id):
        self._call("StopPodSandbox", self.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id))

    def remove_pod(self, pod_id):
        self._call("RemovePodSandbox", self.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id))

    def pod_status(self, pod_id, verbose=False):
        return self._call("PodSandboxStatus", self.pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id,
                                                                              verbose=verbose))

    def list_pods(self):
        return list(self._call("ListPodSandbox", self.pb.ListPodSandboxRequest()).items)
