using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json;
using Weave.Npc.Api;

namespace Weave.Npc;

/// <summary>
/// A v1 Pod from the API's JSON: never throws; refuses with one reason naming the pod and the
/// field. Its addresses are status.podIPs (status.podIP when that is all there is); named ports
/// are those of spec.containers, where Kubernetes resolves a named port.
/// </summary>
public static class PodParser
{
    private const string Kind = "Pod";

    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out Pod? pod, out string reason) =>
        ObjectJson.TryParse(json, NpcJson.Default.PodJson, Kind, TryConvert, out pod, out reason);

    public static bool TryParse(JsonElement json, [NotNullWhen(true)] out Pod? pod, out string reason) =>
        ObjectJson.TryParse(json, NpcJson.Default.PodJson, Kind, TryConvert, out pod, out reason);

    /// <summary>
    /// Whether the pod has finished (status.phase Succeeded or Failed): its containers are gone and
    /// its address may already be another pod's, so policy must not see it.
    /// </summary>
    public static bool IsFinished(JsonElement json) =>
        json.ValueKind == JsonValueKind.Object
        && json.TryGetProperty("status", out JsonElement status) && status.ValueKind == JsonValueKind.Object
        && status.TryGetProperty("phase", out JsonElement phase) && phase.ValueKind == JsonValueKind.String
        && (phase.ValueEquals("Succeeded") || phase.ValueEquals("Failed"));

    private static bool TryConvert(PodJson dto, [NotNullWhen(true)] out Pod? pod, out string reason)
    {
        pod = null;
        ObjectMetaJson? meta = dto.Metadata;
        if (!FieldParsing.TryNamespacedName(meta, out string? ns, out string? name, out string problem)
            || !FieldParsing.TryLabels(meta!.Labels, "metadata.labels", out ImmutableSortedDictionary<string, string> labels, out problem)
            || !TryAddresses(dto.Status, out ImmutableArray<IPAddress> addresses, out problem)
            || !TryPorts(dto.Spec?.Containers, out ImmutableArray<ContainerPort> ports, out problem))
        {
            reason = $"{Kind} {ObjectJson.Name(meta?.Namespace, meta?.Name, namespaced: true)}: {problem}";
            return false;
        }
        pod = new Pod(ns, name, labels, addresses, dto.Spec?.NodeName ?? "", dto.Spec?.HostNetwork ?? false, ports);
        reason = "";
        return true;
    }

    private static bool TryAddresses(PodStatusJson? status, out ImmutableArray<IPAddress> addresses, out string problem)
    {
        addresses = [];
        problem = "";
        List<string?> texts = status?.PodIPs is { Count: > 0 } list ? [.. list.Select(p => p?.Ip)]
            : status?.PodIP is { Length: > 0 } single ? [single]
            : [];
        string field = status?.PodIPs is { Count: > 0 } ? "status.podIPs" : "status.podIP";
        if (texts.Count > ParseLimits.MaxAddressesPerPod)
        {
            problem = $"{field}: {texts.Count} addresses, over the limit of {ParseLimits.MaxAddressesPerPod}";
            return false;
        }
        var builder = ImmutableArray.CreateBuilder<IPAddress>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            if (!FieldParsing.TryAddress(texts[i], field == "status.podIP" ? field : $"{field}[{i}].ip", out IPAddress? address, out problem))
            {
                return false;
            }
            if (!builder.Contains(address))
            {
                builder.Add(address);
            }
        }
        addresses = builder.ToImmutable();
        return true;
    }

    private static bool TryPorts(List<ContainerJson>? containers, out ImmutableArray<ContainerPort> ports, out string problem)
    {
        ports = [];
        problem = "";
        var builder = ImmutableArray.CreateBuilder<ContainerPort>();
        for (int c = 0; c < (containers?.Count ?? 0); c++)
        {
            List<ContainerPortJson>? declared = containers![c]?.Ports;
            for (int p = 0; p < (declared?.Count ?? 0); p++)
            {
                string field = $"spec.containers[{c}].ports[{p}]";
                if (builder.Count == ParseLimits.MaxContainerPorts)
                {
                    problem = $"{field}: over the limit of {ParseLimits.MaxContainerPorts} container ports";
                    return false;
                }
                if (declared![p] is not ContainerPortJson port)
                {
                    problem = $"{field}: null";
                    return false;
                }
                if (!FieldParsing.TryPortNumber(port.ContainerPort, field + ".containerPort", out problem)
                    || !FieldParsing.TryProtocol(port.Protocol, field + ".protocol", out PortProtocol protocol, out problem)
                    || (port.Name is not null && !FieldParsing.TryPortName(port.Name, field + ".name", out problem)))
                {
                    return false;
                }
                builder.Add(new ContainerPort(port.Name, port.ContainerPort, protocol));
            }
        }
        ports = builder.ToImmutable();
        return true;
    }
}
