#include "service/ServiceBuilder.h"

#include "service/ContainerPorts.h"
#include "service/ServiceMetadata.h"
#include "service/TagTemplate.h"

#include <QJsonArray>

namespace {

// Format characters (bidi overrides, zero-width ones) and line/paragraph separators show as
// nothing or reorder the text around them: "rtl\u202Eexe.txt" reads as "rtltxt.exe".
bool isInvisible(char32_t c)
{
    const QChar::Category category = QChar::category(c);
    return category == QChar::Other_Format || category == QChar::Separator_Line ||
           category == QChar::Separator_Paragraph;
}

// Calls f(code point, index of its first UTF-16 unit) for each code point of s.
template <typename F> void forEachCodePoint(QStringView s, F f)
{
    for (qsizetype i = 0; i < s.size(); ++i) {
        char32_t c = s[i].unicode();
        const qsizetype at = i;
        if (s[i].isHighSurrogate() && i + 1 < s.size() && s[i + 1].isLowSurrogate()) {
            c = QChar::surrogateToUcs4(s[i], s[i + 1]);
            ++i;
        }
        f(c, at);
    }
}

// Control characters as \xNN, invisible ones as \uXXXX (\UXXXXXXXX beyond the BMP): a log
// line or note shows exactly what the value holds.
QString escapedControl(QStringView s)
{
    QString out;
    forEachCodePoint(s, [&](char32_t c, qsizetype at) {
        if (QChar::category(c) == QChar::Other_Control)
            out += QStringLiteral("\\x%1").arg(uint(c), 2, 16, QLatin1Char('0'));
        else if (isInvisible(c) && c > 0xffff)
            out += QStringLiteral("\\U%1").arg(uint(c), 8, 16, QLatin1Char('0'));
        else if (isInvisible(c))
            out += QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0'));
        else
            out += s.mid(at, c > 0xffff ? 2 : 1);
    });
    return out;
}

// A value safe to quote in a note: control and invisible characters escaped, long text cut.
QString quoted(const QString &s)
{
    QString out = escapedControl(QStringView(s).left(64));
    if (s.size() > 64)
        out += QStringLiteral("...");
    return QLatin1Char('"') + out + QLatin1Char('"');
}

// Why text must not be a name, id or tag because of a character in it (empty when it may).
QString characterProblem(const QString &s, bool allowControl)
{
    QString problem;
    forEachCodePoint(s, [&](char32_t c, qsizetype) {
        if (!problem.isEmpty())
            return;
        if (!allowControl && QChar::category(c) == QChar::Other_Control)
            problem = QStringLiteral("contains control characters");
        else if (!allowControl && isInvisible(c))
            problem = QStringLiteral("contains the invisible character U+%1")
                          .arg(QString::number(uint(c), 16).toUpper().rightJustified(4, u'0'));
    });
    return problem;
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
    if (const QString problem = characterProblem(s, false); !problem.isEmpty())
        return problem;
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
    if (const QString problem = characterProblem(s, allowControl); !problem.isEmpty())
        return problem;
    if (!QStringView(s).isValidUtf16())
        return QStringLiteral("is not valid UTF-8");
    const qsizetype bytes = s.toUtf8().size();
    if (bytes > ServiceBuilder::kMaxValueBytes)
        return QStringLiteral("is %1 bytes long (limit %2)")
            .arg(bytes)
            .arg(ServiceBuilder::kMaxValueBytes);
    return {};
}

// Bytes the text takes as a JSON string in the detail record: control characters become
// six-byte \u escapes, quotes and backslashes two bytes.
qsizetype jsonBytes(const QString &s)
{
    qsizetype extra = 0;
    for (const QChar c : s) {
        if (c.unicode() < 0x20)
            extra += 5;
        else if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
            extra += 1;
    }
    return s.toUtf8().size() + extra;
}

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

ServiceBuildResult ServiceBuilder::build(const QJsonObject &inspect,
                                         const QJsonObject &networkContainer) const
{
    ServiceBuildResult result;
    const QString containerId = str(inspect, "Id");
    const QString id12 = escapedControl(containerId.left(12));
    const QJsonObject config = inspect.value(QLatin1String("Config")).toObject();
    const QString image = str(config, "Image");
    QString containerName = str(inspect, "Name");
    if (containerName.startsWith(QLatin1Char('/')))
        containerName.remove(0, 1);

    // Docker restricts all three; an inspect answer that breaks the rules is not trusted further.
    for (const auto &[what, text] :
         {std::pair{"container id", containerId}, std::pair{"container name", containerName},
          std::pair{"image", image}}) {
        QString problem = valueProblem(text, false);
        if (problem.isEmpty() && text.toUtf8().size() > kMaxKeyPartBytes * 4)
            problem = QStringLiteral("is %1 bytes long (limit %2)")
                          .arg(text.toUtf8().size())
                          .arg(kMaxKeyPartBytes * 4);
        if (!problem.isEmpty()) {
            result.notes << QStringLiteral("ignored: %1 %2 %3 %4")
                                .arg(id12, QLatin1String(what), quoted(text), problem);
            return result;
        }
    }

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
        // Everything variable in the detail record shares one budget, so a record (and a
        // transaction of many) stays far below etcd's request limit whatever the labels hold.
        qsizetype budget = kMaxRecordBytes;
        DroppedEntries droppedTags;
        for (const QString &tag : tags) {
            QString problem = valueProblem(tag, false);
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
        droppedTags.report(result.notes, QStringLiteral("tags: %1").arg(id12),
                           QStringLiteral("tags"));

        if (!meta.value(QStringLiteral("id")).isEmpty())
            s.id = meta.value(QStringLiteral("id"));

        DroppedEntries droppedAttributes;
        for (auto it = meta.values.begin(); it != meta.values.end(); ++it) {
            if (it.key() == QLatin1String("id") || it.key() == QLatin1String("tags") ||
                it.key() == QLatin1String("name"))
                continue;
            QString problem = keyPartProblem(it.key(), kMaxKeyPartBytes);
            if (problem.isEmpty())
                problem = valueProblem(it.value(), true);
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
        droppedAttributes.report(result.notes, QStringLiteral("attributes: %1").arg(id12),
                                 QStringLiteral("attributes"));

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
        if (s.ip.isEmpty() || !valueProblem(s.ip, false).isEmpty() ||
            s.ip.size() > kMaxKeyPartBytes) {
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
    if (result.notes.size() > kMaxNotes) {
        const qsizetype more = result.notes.size() - (kMaxNotes - 1);
        result.notes.resize(kMaxNotes - 1);
        result.notes << QStringLiteral("notes: %1 %2 more notes about this container not shown")
                            .arg(id12)
                            .arg(more);
    }
    return result;
}
