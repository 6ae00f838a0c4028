using System.Buffers.Binary;
using System.Globalization;
using Tmds.Linux;
using static Weave.Linux.NetlinkConstants;
using static Weave.Linux.Netfilter.NflogConstants;

namespace Weave.Linux.Netfilter;

/// <summary>
/// The NFULNL_MSG_CONFIG requests that make a netlink socket receive one NFLOG group, each sent
/// with NLM_F_ACK and checked. Kernels before 3.17 need the log handler bound per protocol family
/// first (PF_UNBIND then PF_BIND, as libnetfilter_log does); later ones accept both and do nothing.
/// </summary>
internal sealed class NflogConfiguration(NetlinkSocket socket, ushort group)
{
    private const int RequestBufferBytes = 64;
    private const int ReplyBufferBytes = 4096;

    private readonly byte[] _request = new byte[RequestBufferBytes];
    private byte[] _reply = new byte[ReplyBufferBytes];
    private uint _sequence;

    public void Apply(uint copyRangeBytes)
    {
        string name = "NFLOG group " + group.ToString(CultureInfo.InvariantCulture);
        foreach (byte family in (ReadOnlySpan<byte>)[AF_INET, AF_INET6])
        {
            // Unbinding a family no one bound fails on some old kernels: that is fine.
            _ = Send(family, 0, NFULA_CFG_CMD, [NFULNL_CFG_CMD_PF_UNBIND], out _);
            Check(Send(family, 0, NFULA_CFG_CMD, [NFULNL_CFG_CMD_PF_BIND], out string? detail), detail,
                "bind the NFLOG handler of family " + family.ToString(CultureInfo.InvariantCulture));
        }
        int bound = Send(AF_UNSPEC, group, NFULA_CFG_CMD, [NFULNL_CFG_CMD_BIND], out string? bindDetail);
        // The kernel answers EPERM both to a group another socket has and to a caller without CAP_NET_ADMIN.
        Check(bound, bindDetail, bound == LibC.EPERM ? $"bind {name} (another socket has it, or no CAP_NET_ADMIN)" : "bind " + name);

        Span<byte> mode = stackalloc byte[NfulnlMsgConfigModeSize];
        BinaryPrimitives.WriteUInt32BigEndian(mode, copyRangeBytes);
        mode[4] = NFULNL_COPY_PACKET;
        Check(Send(AF_UNSPEC, group, NFULA_CFG_MODE, mode, out string? modeDetail), modeDetail, $"set {name} to copy packets");

        Span<byte> threshold = stackalloc byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32BigEndian(threshold, 1);
        Check(Send(AF_UNSPEC, group, NFULA_CFG_QTHRESH, threshold, out string? thresholdDetail), thresholdDetail,
            $"set {name} to send each packet at once");
    }

    /// <summary>Sends one request with one attribute and returns the errno of the kernel's answer (0: done).</summary>
    private int Send(byte family, ushort resourceId, ushort attribute, ReadOnlySpan<byte> value, out string? detail)
    {
        uint sequence = ++_sequence;
        var message = new NetlinkMessage(_request, ConfigMessageType, NLM_F_REQUEST | NLM_F_ACK, sequence);
        message.WriteNfGenMsg(family, resourceId);
        message.AddAttribute(attribute, value);
        return socket.Exchange(message.Finish(), sequence, ref _reply, "configure NFLOG", out detail);
    }

    private static void Check(int errno, string? detail, string what)
    {
        if (errno != 0)
        {
            throw new LinuxError(detail is null ? what : $"{what} ({detail})", errno);
        }
    }
}
