#pragma once

// A throwaway PKI for TLS tests against a real etcd (tst_etcdclient_security, tst_etcd2registry).
// Header-only so each test includes what it needs.

#include <QDebug>
#include <QFile>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

// A throwaway CA, a server certificate for 127.0.0.1 (also usable as a client certificate) and
// a client certificate, made with openssl. EC keys: quick to make.
struct TestPki {
    QTemporaryDir dir;
    QString path(const char *name) const { return dir.filePath(QLatin1String(name)); }
    bool make()
    {
        auto run = [this](const QStringList &args) {
            QProcess p;
            p.setWorkingDirectory(dir.path());
            p.setProcessChannelMode(QProcess::MergedChannels);
            p.start(QStringLiteral("openssl"), args);
            const bool ok = p.waitForFinished(20000) && p.exitCode() == 0;
            if (!ok)
                qWarning() << "openssl" << args << p.readAll();
            return ok;
        };
        const QStringList ec{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
        QFile ext(path("server.ext"));
        ext.open(QIODevice::WriteOnly);
        ext.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
        ext.close();
        QFile cext(path("client.ext"));
        cext.open(QIODevice::WriteOnly);
        cext.write("extendedKeyUsage=clientAuth\n");
        cext.close();
        // A key and a request for CN, signed by the CA with the extensions in EXT.
        const auto issue = [&](const QString &name, const QString &cn, const QString &ext) {
            return run(QStringList{"req"} + ec +
                       QStringList{"-keyout", name + ".key", "-out", name + ".csr", "-subj",
                                   "/CN=" + cn}) &&
                   run({"x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                        "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", ext});
        };
        return run(QStringList{"req", "-x509"} + ec +
                   QStringList{"-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
                               "/CN=portolan-test-ca"}) &&
               issue("server", "127.0.0.1", "server.ext") &&
               issue("client", "portolan-agent", "client.ext");
    }
};
