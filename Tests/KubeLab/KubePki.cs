using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Weave.KubeLab;

/// <summary>
/// A run's certificates and keys, made fresh for every run (ECDSA P-256 is instant): a CA, the
/// API server's serving certificate (every name pods and the test use to reach it), one client
/// identity in <c>system:masters</c> that kubectl, kubelets, kube-proxies and the controllers share
/// (RBAC is still enforced for service accounts, so an add-on's ClusterRole is really tested),
/// and the RSA key pair that signs service-account tokens.
/// </summary>
internal sealed class KubePki : IDisposable
{
    public const string CaFile = "ca.crt";
    public const string ApiServerCertFile = "apiserver.crt";
    public const string ApiServerKeyFile = "apiserver.key";
    public const string AdminCertFile = "admin.crt";
    public const string AdminKeyFile = "admin.key";
    public const string ServiceAccountKeyFile = "sa.key";
    public const string ServiceAccountPublicKeyFile = "sa.pub";

    private readonly ECDsa _caKey;
    private readonly ECDsa _apiServerKey;
    private readonly ECDsa _adminKey;
    private readonly RSA _serviceAccountKey;

    private KubePki(IPAddress apiServer)
    {
        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        DateTimeOffset notAfter = DateTimeOffset.UtcNow.AddDays(30);
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=weave-kubelab-ca", _caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        Ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        var names = new SubjectAlternativeNameBuilder();
        foreach (IPAddress address in new[] { apiServer, KubeAddressPlan.KubernetesService, IPAddress.Loopback })
        {
            names.AddIpAddress(address);
        }
        foreach (string name in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local" })
        {
            names.AddDnsName(name);
        }
        _apiServerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ApiServer = Issue(Subject("kube-apiserver", null), _apiServerKey, "1.3.6.1.5.5.7.3.1", names.Build(), notBefore, notAfter);
        _adminKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Admin = Issue(Subject("admin", "system:masters"), _adminKey, "1.3.6.1.5.5.7.3.2", null, notBefore, notAfter)
            .CopyWithPrivateKey(_adminKey);
        _serviceAccountKey = RSA.Create(2048);
    }

    /// <summary>The CA, with its private key.</summary>
    public X509Certificate2 Ca { get; }

    public X509Certificate2 ApiServer { get; }

    /// <summary>The <c>system:masters</c> client identity, with its private key.</summary>
    public X509Certificate2 Admin { get; }

    public static KubePki Create(IPAddress apiServer) => new(apiServer);

    /// <summary>Writes the PEM files the control plane and the kubelets read.</summary>
    public void WriteTo(string directory)
    {
        _ = Directory.CreateDirectory(directory);
        Write(directory, CaFile, Ca.ExportCertificatePem());
        Write(directory, ApiServerCertFile, ApiServer.ExportCertificatePem() + "\n" + Ca.ExportCertificatePem());
        Write(directory, ApiServerKeyFile, _apiServerKey.ExportPkcs8PrivateKeyPem());
        Write(directory, AdminCertFile, Admin.ExportCertificatePem());
        Write(directory, AdminKeyFile, _adminKey.ExportPkcs8PrivateKeyPem());
        Write(directory, ServiceAccountKeyFile, _serviceAccountKey.ExportPkcs8PrivateKeyPem());
        Write(directory, ServiceAccountPublicKeyFile, _serviceAccountKey.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>A kubeconfig for the admin identity with everything inline.</summary>
    public string Kubeconfig(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kubelab
              cluster:
                server: {{server.ToString().TrimEnd('/')}}
                certificate-authority-data: {{Base64(Ca.ExportCertificatePem())}}
            users:
            - name: admin
              user:
                client-certificate-data: {{Base64(Admin.ExportCertificatePem())}}
                client-key-data: {{Base64(_adminKey.ExportPkcs8PrivateKeyPem())}}
            contexts:
            - name: kubelab
              context: {cluster: kubelab, user: admin}
            current-context: kubelab

            """;
    }

    /// <summary>True when <paramref name="certificate"/> chains to this run's CA (and only to it).</summary>
    public bool IsIssuedByCa(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        _ = chain.ChainPolicy.CustomTrustStore.Add(Ca);
        return chain.Build(leaf);
    }

    public void Dispose()
    {
        Ca.Dispose();
        ApiServer.Dispose();
        Admin.Dispose();
        _caKey.Dispose();
        _apiServerKey.Dispose();
        _adminKey.Dispose();
        _serviceAccountKey.Dispose();
    }

    private X509Certificate2 Issue(
        X500DistinguishedName subject, ECDsa key, string usage, X509Extension? names, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        if (names is not null)
        {
            request.CertificateExtensions.Add(names);
        }
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // positive, as RFC 5280 requires
        return request.Create(Ca, notBefore, notAfter, serial);
    }

    private static X500DistinguishedName Subject(string commonName, string? organization)
    {
        var builder = new X500DistinguishedNameBuilder();
        if (organization is not null)
        {
            builder.AddOrganizationName(organization);
        }
        builder.AddCommonName(commonName);
        return builder.Build();
    }

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));

    private static void Write(string directory, string name, string content) =>
        File.WriteAllText(Path.Combine(directory, name), content.EndsWith('\n') ? content : content + "\n");
}
