#pragma once

#include <QString>

// Where the Docker daemon listens, from DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH.
struct DockerEndpoint {
    enum class Kind { Unix, Tcp };
    Kind kind = Kind::Unix;
    QString socketPath = QStringLiteral("/var/run/docker.sock"); // Kind::Unix
    QString host;                                                // Kind::Tcp
    quint16 port = 2375;
    bool tls = false;
    bool tlsVerify = false;
    QString certPath; // holds ca.pem, cert.pem, key.pem

    QString describe() const; // "unix:///var/run/docker.sock" or "tcp://host:port (TLS)"

    // Parses the environment. On error returns false and sets *error to one clear sentence.
    static bool fromEnvironment(DockerEndpoint *out, QString *error);
    // Parses one DOCKER_HOST value (tls settings passed separately).
    static bool parse(const QString &dockerHost, bool tlsVerify, const QString &certPath,
                      DockerEndpoint *out, QString *error);
};
