#include "service/ServiceBuilder.h"

#include "service/ContainerPorts.h"
#include "service/ServiceMetadata.h"
#include "service/TagTemplate.h"

#include <QJsonArray>

namespace {

// A value safe to quote in a note: control characters escaped, long text cut.
QString quoted(const QString &s)
{
    QString out;
    for (const QChar c : s.left(64)) {
        if (c.category() == QChar::Other_Control)
            out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    if (s.size() > 64)
        out += QStringLiteral("...");
    return QLatin1Char('"') + out + QLatin1Char('"');
}

bool hasControl(const QString &s)
{
    for (const QChar c : s) {
        if (c.category() == QChar::Other_Control)
            return true;
    }
    return false;
}

// Why text cannot be one path segment of a registry key (empty when it can).
QString keyPartProblem(const QString &s, int maxBytes)
{
    if (s.isEmpty())
        return QStringLiteral("is empty");
    if (s.contains(QLatin1Char('/')))
        return QStringLiteral("contains '/'");
    if (s == QLatin1String(".") || s == QLatin1String(".."))
        return QStringLiteral("is a path step");
    if (hasControl(s))
        return QStringLiteral("contains control characters");
    if (!QStringView(s).isValidUtf16() || s.contains(QChar::ReplacementCharacter))
        return QStringLiteral("is not valid UTF-8");
    const qsizetype bytes = s.toUtf8().size();
    if (bytes > maxBytes)
        return QStringLiteral("is %1 bytes long (limit %2)").arg(bytes).arg(maxBytes);
    return {};
}

// Why text cannot be a tag or attribute value (empty when it can).
QString valueProblem(const QString &s, bool allowControl)
{
    if (!allowControl && hasControl(s))
        return QStringLiteral("contains control characters");
    if (!QStringView(s).isValidUtf16())
        return QStringLiteral("is not valid UTF-8");
    const qsizetype bytes = s.toUtf8().size();
    if (bytes > ServiceBuilder::kMaxValueBytes)
        return QStringLiteral("is %1 bytes long (limit %2)")
            .arg(bytes)
            .arg(ServiceBuilder::kMaxValueBytes);
    return {};
}

int portNumber(const QString &s)
{
    bool ok = false;
    const int n = s.toInt(&ok, 10);
    return ok && n > 0 && n < 65536 && !s.startsWith(QLatin1Char('+')) ? n : 0;
}

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

} // namespace

ServiceBuilder::ServiceBuilder(ServiceOptions options) : m_options(std::move(options)) {}

QString ServiceBuilder::defaultServiceName(const QString &image)
{
    QString s = image;
    const int at = s.indexOf(QLatin1Char('@')); // digest: "img@sha256:..."
    if (at >= 0)
        s.truncate(at);
    while (s.endsWith(QLatin1Char('/')))
        s.chop(1);
    s = s.mid(s.lastIndexOf(QLatin1Char('/')) + 1);
    if (s.isEmpty())
        return QStringLiteral("."); // Go's path.Base("")
    return s.left(s.indexOf(QLatin1Char(':')) < 0 ? s.size() : s.indexOf(QLatin1Char(':')));
}

ServiceBuildResult ServiceBuilder::build(const QJsonObject &inspect,
                                         const QJsonObject &networkContainer) const
{
    ServiceBuildResult result;
    const QString containerId = str(inspect, "Id");
    const QString id12 = containerId.left(12);
    const QJsonObject config = inspect.value(QLatin1String("Config")).toObject();
    const QString image = str(config, "Image");
    QString containerName = str(inspect, "Name");
    if (containerName.startsWith(QLatin1Char('/')))
        containerName.remove(0, 1);

    const QList<ServicePort> ports = ContainerPorts::read(inspect);
    if (ports.isEmpty()) {
        result.notes << QStringLiteral("ignored: %1 no published ports").arg(id12);
        return result;
    }
    if (!m_options.internal) {
        for (const ServicePort &p : ports) {
            if (p.pending) {
                result.portsPending = true;
                result.notes << QStringLiteral("pending: %1 port %2 is published but has no host "
                                               "port yet; inspect again")
                                    .arg(id12, p.key);
            }
        }
        if (result.portsPending)
            return result;
    }

    QList<ServicePort> servicePorts;
    for (const ServicePort &p : ports) {
        if (!m_options.internal && p.hostPort.isEmpty()) {
            result.notes << QStringLiteral("ignored: %1 port %2 not published on host")
                                .arg(id12, p.exposedPort);
            continue;
        }
        servicePorts.append(p);
    }

    const QString mode = ContainerPorts::networkMode(inspect);
    QString networkIp;
    if (mode.startsWith(QLatin1String("container:")) && !servicePorts.isEmpty()) {
        if (networkContainer.isEmpty()) {
            result.networkContainerId = mode.mid(int(qstrlen("container:")));
            return result;
        }
        networkIp = ContainerPorts::containerIp(networkContainer);
    }

    QStringList templateTags;
    if (m_options.tags && m_options.tags->isValid()) {
        QString error;
        templateTags = m_options.tags->tags(inspect, &error);
        if (!error.isEmpty())
            result.notes << QStringLiteral("tags: %1 -tags gave no tags: %2").arg(id12, error);
    }

    const bool isGroup = servicePorts.size() > 1;
    for (const ServicePort &port : servicePorts) {
        const ServiceMetadata meta = ServiceMetadata::parse(config, port.exposedPort);
        const QString skipped =
            QStringLiteral("ignored: %1 service on port %2").arg(id12, port.exposedPort);
        if (!meta.value(QStringLiteral("ignore")).isEmpty()) {
            result.notes << skipped + QStringLiteral(": SERVICE_IGNORE is set");
            continue;
        }
        ServiceDefinition s;
        s.hostname = m_options.hostname.isEmpty() ? port.hostIp : m_options.hostname;
        s.containerId = containerId;
        s.containerName = containerName;
        s.image = image;
        s.protocol = port.protocol;
        s.exposedPort = port.exposedPort;

        s.name = meta.value(QStringLiteral("name"));
        if (s.name.isEmpty()) {
            if (m_options.explicitOnly) {
                result.notes << skipped + QStringLiteral(": -explicit and no SERVICE_NAME");
                continue;
            }
            s.name = defaultServiceName(image);
        }
        if (isGroup && !meta.isFromPort(QStringLiteral("name")))
            s.name += QLatin1Char('-') + port.exposedPort;

        s.id = s.hostname + QLatin1Char(':') + containerName + QLatin1Char(':') + port.exposedPort;

        s.ip = port.hostIp;
        if ((s.ip == QLatin1String("0.0.0.0") || s.ip == QLatin1String("::")) &&
            !m_options.resolvedHostIp.isEmpty())
            s.ip = m_options.resolvedHostIp;
        if (!m_options.hostIp.isEmpty())
            s.ip = m_options.hostIp;
        s.port = portNumber(m_options.internal ? port.exposedPort : port.hostPort);
        if (m_options.internal)
            s.ip = port.exposedIp;

        if (!m_options.useIpFromLabel.isEmpty()) {
            const QString labelIp = config.value(QLatin1String("Labels"))
                                        .toObject()
                                        .value(m_options.useIpFromLabel)
                                        .toString();
            if (!labelIp.isEmpty())
                s.ip = labelIp.left(labelIp.lastIndexOf(QLatin1Char('/')) < 0
                                        ? labelIp.size()
                                        : labelIp.lastIndexOf(QLatin1Char('/')));
            else
                result.notes << QStringLiteral("Label '%1' not found in container %2")
                                    .arg(m_options.useIpFromLabel, id12);
        }
        if (mode.startsWith(QLatin1String("container:")))
            s.ip = networkIp;

        QStringList tags = splitEscapedComma(meta.value(QStringLiteral("tags"))) + templateTags;
        if (port.protocol == QLatin1String("udp")) {
            tags << QStringLiteral("udp");
            s.id += QStringLiteral(":udp");
        }
        for (const QString &tag : tags) {
            const QString problem = valueProblem(tag, false);
            if (!problem.isEmpty())
                result.notes << QStringLiteral("tags: %1 tag %2 dropped: it %3")
                                    .arg(id12, quoted(tag), problem);
            else if (s.tags.size() >= kMaxTags)
                result.notes << QStringLiteral("tags: %1 tag %2 dropped: more than %3 tags")
                                    .arg(id12, quoted(tag))
                                    .arg(kMaxTags);
            else
                s.tags << tag;
        }

        if (!meta.value(QStringLiteral("id")).isEmpty())
            s.id = meta.value(QStringLiteral("id"));

        for (auto it = meta.values.begin(); it != meta.values.end(); ++it) {
            if (it.key() == QLatin1String("id") || it.key() == QLatin1String("tags") ||
                it.key() == QLatin1String("name"))
                continue;
            QString problem = keyPartProblem(it.key(), kMaxKeyPartBytes);
            if (problem.isEmpty())
                problem = valueProblem(it.value(), true);
            if (!problem.isEmpty()) {
                result.notes << QStringLiteral("attributes: %1 SERVICE_%2 dropped: it %3")
                                    .arg(id12, quoted(it.key().toUpper()), problem);
                continue;
            }
            s.attributes.insert(it.key(), it.value());
        }

        const QString nameProblem = keyPartProblem(s.name, kMaxKeyPartBytes);
        if (!nameProblem.isEmpty()) {
            result.notes << QStringLiteral("ignored: %1 service name %2 %3")
                                .arg(id12, quoted(s.name), nameProblem);
            continue;
        }
        const QString idProblem = keyPartProblem(s.id, kMaxKeyPartBytes);
        if (!idProblem.isEmpty()) {
            result.notes << QStringLiteral("ignored: %1 service id %2 %3")
                                .arg(id12, quoted(s.id), idProblem);
            continue;
        }
        if (s.ip.isEmpty() || hasControl(s.ip) || s.ip.size() > kMaxKeyPartBytes) {
            result.notes << QStringLiteral("ignored: %1 service on port %2 has no usable IP "
                                           "address %3")
                                .arg(id12, port.exposedPort, quoted(s.ip));
            continue;
        }
        if (s.port == 0) {
            result.notes << QStringLiteral("ignored: %1 service on port %2 has an invalid port %3")
                                .arg(id12, port.exposedPort,
                                     quoted(m_options.internal ? port.exposedPort : port.hostPort));
            continue;
        }
        result.services << s;
    }
    return result;
}
