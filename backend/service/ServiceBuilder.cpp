#include "service/ServiceBuilder.h"

#include "service/ContainerHealth.h"
#include "service/ContainerPorts.h"
#include "service/ServiceMetadata.h"
#include "service/ServiceText.h"
#include "service/TagTemplate.h"

#include <QJsonArray>

using namespace ServiceText;

namespace {

// Entries of one kind dropped from one service: one note however many there are, so 500 bad
// labels cost one log line, not 500.
class DroppedEntries {
public:
    void add(const QString &what, const QString &problem)
    {
        if (m_count++ == 0) {
            m_firstWhat = what;
            m_firstProblem = problem;
        }
    }
    void report(QStringList &notes, const QString &prefix, const QString &kind) const
    {
        if (m_count == 1) {
            notes
                << QStringLiteral("%1 %2 dropped: it %3").arg(prefix, m_firstWhat, m_firstProblem);
        } else if (m_count > 1) {
            notes << QStringLiteral("%1 %2 %3 dropped; the first, %4: it %5")
                         .arg(prefix)
                         .arg(m_count)
                         .arg(kind, m_firstWhat, m_firstProblem);
        }
    }

private:
    int m_count = 0;
    QString m_firstWhat;
    QString m_firstProblem;
};

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

// What every step of build() reads about the container.
struct ServiceBuilder::Container {
    QString id;
    QString id12; // escaped, for notes
    QString name;
    QString image;
    QJsonObject config;
    bool sharesNetwork = false; // NetworkMode "container:<id>": the address is that container's
    QString networkIp;
    QStringList templateTags; // from -tags
    bool isGroup = false;     // more than one service port: names get the port appended
};

ServiceBuildResult ServiceBuilder::build(const QJsonObject &inspect,
                                         const QJsonObject &networkContainer) const
{
    ServiceBuildResult result;
    Container c;
    c.id = str(inspect, "Id");
    c.id12 = escapedControl(c.id.left(12));
    c.config = inspect.value(QLatin1String("Config")).toObject();
    c.image = str(c.config, "Image");
    c.name = str(inspect, "Name");
    if (c.name.startsWith(QLatin1Char('/')))
        c.name.remove(0, 1);
    if (!isTrusted(c, result.notes))
        return result;

    const std::optional<QList<ServicePort>> ports = servicePorts(inspect, c.id12, result);
    if (!ports)
        return result;
    const QString mode = ContainerPorts::networkMode(inspect);
    c.sharesNetwork = mode.startsWith(QLatin1String("container:"));
    if (c.sharesNetwork && !ports->isEmpty()) {
        if (networkContainer.isEmpty()) {
            result.networkContainerId = mode.mid(int(qstrlen("container:")));
            return result;
        }
        c.networkIp = ContainerPorts::containerIp(networkContainer);
    }
    if (m_options.tags && m_options.tags->isValid()) {
        QString error;
        c.templateTags = m_options.tags->tags(inspect, &error);
        if (!error.isEmpty())
            result.notes << QStringLiteral("tags: %1 -tags gave no tags: %2").arg(c.id12, error);
    }
    c.isGroup = ports->size() > 1;

    const QString health = ContainerHealth::fromInspect(inspect);
    for (const ServicePort &port : *ports) {
        if (std::optional<ServiceDefinition> s = service(c, port, result.notes)) {
            setHealth(*s, health);
            result.services << *s;
        }
    }
    if (result.notes.size() > kMaxNotes) {
        const qsizetype more = result.notes.size() - (kMaxNotes - 1);
        result.notes.resize(kMaxNotes - 1);
        result.notes << QStringLiteral("notes: %1 %2 more notes about this container not shown")
                            .arg(c.id12)
                            .arg(more);
    }
    return result;
}

void ServiceBuilder::setHealth(ServiceDefinition &service, const QString &health) const
{
    service.health = health;
    service.keyWithheld = m_options.registerHealthyOnly && ContainerHealth::withholdsKey(health);
}

bool ServiceBuilder::isTrusted(const Container &c, QStringList &notes)
{
    // Docker restricts all three; an inspect answer that breaks the rules is not trusted further.
    for (const auto &[what, text] :
         {std::pair{"container id", c.id}, std::pair{"container name", c.name},
          std::pair{"image", c.image}}) {
        QString problem = valueProblem(text, false, kMaxValueBytes);
        if (problem.isEmpty() && text.toUtf8().size() > kMaxKeyPartBytes * 4)
            problem = QStringLiteral("is %1 bytes long (limit %2)")
                          .arg(text.toUtf8().size())
                          .arg(kMaxKeyPartBytes * 4);
        if (!problem.isEmpty()) {
            notes << QStringLiteral("ignored: %1 %2 %3 %4")
                         .arg(c.id12, QLatin1String(what), quoted(text), problem);
            return false;
        }
    }
    return true;
}

std::optional<QList<ServicePort>> ServiceBuilder::servicePorts(const QJsonObject &inspect,
                                                               const QString &id12,
                                                               ServiceBuildResult &result) const
{
    QList<ServicePort> ports = ContainerPorts::read(inspect);
    // Port keys become part of ids, names and notes: only Docker's "<port>/<protocol>" shape.
    DroppedEntries badPorts;
    ports.removeIf([&](const ServicePort &p) {
        QString problem = keyPartProblem(p.exposedPort, 32);
        if (problem.isEmpty() && p.protocol != QLatin1String("tcp") &&
            p.protocol != QLatin1String("udp") && p.protocol != QLatin1String("sctp"))
            problem = QStringLiteral("has an unknown protocol");
        if (!problem.isEmpty())
            badPorts.add(QStringLiteral("port %1").arg(quoted(p.key)), problem);
        return !problem.isEmpty();
    });
    badPorts.report(result.notes, QStringLiteral("ignored: %1").arg(id12), QStringLiteral("ports"));
    if (ports.isEmpty()) {
        result.notes << QStringLiteral("ignored: %1 no published ports").arg(id12);
        return std::nullopt;
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
            return std::nullopt;
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
    return servicePorts;
}

std::optional<ServiceDefinition>
ServiceBuilder::service(const Container &c, const ServicePort &port, QStringList &notes) const
{
    const ServiceMetadata meta = ServiceMetadata::parse(c.config, port.exposedPort);
    const QString skipped =
        QStringLiteral("ignored: %1 service on port %2").arg(c.id12, port.exposedPort);
    if (!meta.value(QStringLiteral("ignore")).isEmpty()) {
        notes << skipped + QStringLiteral(": SERVICE_IGNORE is set");
        return std::nullopt;
    }
    ServiceDefinition s;
    s.hostname = m_options.hostname.isEmpty() ? port.hostIp : m_options.hostname;
    s.containerId = c.id;
    s.containerName = c.name;
    s.image = c.image;
    s.protocol = port.protocol;
    s.exposedPort = port.exposedPort;

    s.name = meta.value(QStringLiteral("name"));
    if (s.name.isEmpty()) {
        if (!m_options.ownContainerId.isEmpty() && c.id == m_options.ownContainerId) {
            notes << skipped + QStringLiteral(": the agent's own container (SERVICE_NAME or "
                                              "SERVICE_%1_NAME registers it)")
                                   .arg(port.exposedPort);
            return std::nullopt;
        }
        if (m_options.explicitOnly) {
            notes << skipped + QStringLiteral(": -explicit and no SERVICE_NAME");
            return std::nullopt;
        }
        s.name = defaultServiceName(c.image);
    }
    if (c.isGroup && !meta.isFromPort(QStringLiteral("name")))
        s.name += QLatin1Char('-') + port.exposedPort;

    s.id = s.hostname + QLatin1Char(':') + c.name + QLatin1Char(':') + port.exposedPort;
    s.ip = address(c, port, notes);
    s.port = portNumber(m_options.internal ? port.exposedPort : port.hostPort);

    QStringList tags = splitEscapedComma(meta.value(QStringLiteral("tags"))) + c.templateTags;
    if (port.protocol == QLatin1String("udp")) {
        tags << QStringLiteral("udp");
        s.id += QStringLiteral(":udp");
    }
    // Everything variable in the detail record shares one budget, so a record (and a
    // transaction of many) stays far below etcd's request limit whatever the labels hold.
    qsizetype budget = kMaxRecordBytes;
    addTags(s, tags, budget, c.id12, notes);
    if (!meta.value(QStringLiteral("id")).isEmpty())
        s.id = meta.value(QStringLiteral("id"));
    addAttributes(s, meta, budget, c.id12, notes);

    if (!isUsable(s, port, c.id12, notes))
        return std::nullopt;
    return s;
}

QString ServiceBuilder::address(const Container &c, const ServicePort &port,
                                QStringList &notes) const
{
    QString ip = port.hostIp;
    if ((ip == QLatin1String("0.0.0.0") || ip == QLatin1String("::")) &&
        !m_options.resolvedHostIp.isEmpty())
        ip = m_options.resolvedHostIp;
    if (!m_options.hostIp.isEmpty())
        ip = m_options.hostIp;
    if (m_options.internal)
        ip = port.exposedIp;

    if (!m_options.useIpFromLabel.isEmpty()) {
        const QString labelIp = c.config.value(QLatin1String("Labels"))
                                    .toObject()
                                    .value(m_options.useIpFromLabel)
                                    .toString();
        if (!labelIp.isEmpty())
            ip = labelIp.left(labelIp.lastIndexOf(QLatin1Char('/')) < 0
                                  ? labelIp.size()
                                  : labelIp.lastIndexOf(QLatin1Char('/')));
        else
            notes << QStringLiteral("Label '%1' not found in container %2")
                         .arg(m_options.useIpFromLabel, c.id12);
    }
    if (c.sharesNetwork)
        ip = c.networkIp;
    return ip;
}

void ServiceBuilder::addTags(ServiceDefinition &s, const QStringList &tags, qsizetype &budget,
                             const QString &id12, QStringList &notes)
{
    DroppedEntries droppedTags;
    for (const QString &tag : tags) {
        QString problem = valueProblem(tag, false, kMaxValueBytes);
        if (problem.isEmpty() && s.tags.size() >= kMaxTags)
            problem = QStringLiteral("is beyond the limit of %1 tags").arg(kMaxTags);
        if (problem.isEmpty() && jsonBytes(tag) > budget)
            problem = QStringLiteral("exceeds the %1-byte budget of one service record")
                          .arg(kMaxRecordBytes);
        if (!problem.isEmpty()) {
            droppedTags.add(QStringLiteral("tag %1").arg(quoted(tag)), problem);
            continue;
        }
        budget -= jsonBytes(tag);
        s.tags << tag;
    }
    droppedTags.report(notes, QStringLiteral("tags: %1").arg(id12), QStringLiteral("tags"));
}

void ServiceBuilder::addAttributes(ServiceDefinition &s, const ServiceMetadata &meta,
                                   qsizetype &budget, const QString &id12, QStringList &notes)
{
    DroppedEntries droppedAttributes;
    for (auto it = meta.values.begin(); it != meta.values.end(); ++it) {
        if (it.key() == QLatin1String("id") || it.key() == QLatin1String("tags") ||
            it.key() == QLatin1String("name"))
            continue;
        QString problem = keyPartProblem(it.key(), kMaxKeyPartBytes);
        if (problem.isEmpty())
            problem = valueProblem(it.value(), true, kMaxValueBytes);
        if (problem.isEmpty() && s.attributes.size() >= kMaxAttributes)
            problem = QStringLiteral("is over the limit of %1 attributes").arg(kMaxAttributes);
        const qsizetype cost = jsonBytes(it.key()) + jsonBytes(it.value());
        if (problem.isEmpty() && cost > budget)
            problem = QStringLiteral("exceeds the %1-byte budget of one service record")
                          .arg(kMaxRecordBytes);
        if (!problem.isEmpty()) {
            droppedAttributes.add(QStringLiteral("SERVICE_%1").arg(quoted(it.key().toUpper())),
                                  problem);
            continue;
        }
        budget -= cost;
        s.attributes.insert(it.key(), it.value());
    }
    droppedAttributes.report(notes, QStringLiteral("attributes: %1").arg(id12),
                             QStringLiteral("attributes"));
}

bool ServiceBuilder::isUsable(const ServiceDefinition &s, const ServicePort &port,
                              const QString &id12, QStringList &notes) const
{
    const QString nameProblem = keyPartProblem(s.name, kMaxKeyPartBytes);
    if (!nameProblem.isEmpty()) {
        notes << QStringLiteral("ignored: %1 service name %2 %3")
                     .arg(id12, quoted(s.name), nameProblem);
        return false;
    }
    const QString idProblem = keyPartProblem(s.id, kMaxKeyPartBytes);
    if (!idProblem.isEmpty()) {
        notes << QStringLiteral("ignored: %1 service id %2 %3").arg(id12, quoted(s.id), idProblem);
        return false;
    }
    if (s.ip.isEmpty() || !valueProblem(s.ip, false, kMaxValueBytes).isEmpty() ||
        s.ip.size() > kMaxKeyPartBytes) {
        notes << QStringLiteral("ignored: %1 service on port %2 has no usable IP "
                                "address %3")
                     .arg(id12, port.exposedPort, quoted(s.ip));
        return false;
    }
    if (s.port == 0) {
        notes << QStringLiteral("ignored: %1 service on port %2 has an invalid port %3")
                     .arg(id12, port.exposedPort,
                          quoted(m_options.internal ? port.exposedPort : port.hostPort));
        return false;
    }
    return true;
}
