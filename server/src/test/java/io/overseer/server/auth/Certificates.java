package io.overseer.server.auth;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away CA and certificates it signs, written as PEM files, for the TLS tests. */
final class Certificates {
  record Issued(Path cert, Path key, X509Certificate certificate, PrivateKey privateKey) {}

  private final Path dir;
  private final Issued ca;

  Certificates(Path dir) throws Exception {
    this.dir = dir;
    KeyPair keys = keyPair();
    X509Certificate cert = sign("CN=Overseer Test CA", keys, "CN=Overseer Test CA", keys.getPrivate(), true, null);
    this.ca = write("ca", cert, keys.getPrivate());
  }

  Issued ca() {
    return ca;
  }

  /** A certificate for {@code cn}, signed by the CA; servers get localhost/127.0.0.1 as names. */
  Issued issue(String name, String cn, boolean server) throws Exception {
    KeyPair keys = keyPair();
    X509Certificate cert = sign("CN=" + cn, keys, "CN=Overseer Test CA", ca.privateKey(), false, server ? "localhost" : null);
    return write(name, cert, keys.getPrivate());
  }

  private static KeyPair keyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    return g.generateKeyPair();
  }

  private static X509Certificate sign(String subject, KeyPair keys, String issuer, PrivateKey issuerKey, boolean isCa, String dnsName)
      throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            new X500Name(issuer),
            BigInteger.valueOf(now.toEpochMilli()).add(BigInteger.valueOf(System.nanoTime() & 0xffff)),
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(Duration.ofDays(1))),
            new X500Name(subject),
            keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (dnsName != null) {
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.dNSName, dnsName), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
    }
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }

  private Issued write(String name, X509Certificate cert, PrivateKey key) throws IOException {
    Path certFile = dir.resolve(name + ".crt");
    Path keyFile = dir.resolve(name + ".key");
    Files.writeString(certFile, pem(cert));
    Files.writeString(keyFile, pem(new JcaPKCS8Generator(key, null).generate()));
    return new Issued(certFile, keyFile, cert, key);
  }

  private static String pem(Object o) throws IOException {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(o);
    }
    return s.toString();
  }
}
