// Feeds arbitrary bytes to ServiceBuilder as a `docker inspect` document, under fuzzer-chosen agent
// options, and checks that every service that comes out can be written to etcd as it is: the
// key segments are one non-empty, bounded, control-free path step each, the detail record is
// bounded, and the notes (log lines) are bounded in number and size and free of control
// characters. Building twice gives the same result.
#include "service/ContainerPorts.h"
#include "service/ServiceBuilder.h"
#include "service/TagTemplate.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <cstdio>
#include <cstdlib>

namespace {

void check(bool condition, const char *what, const QString &detail = {})
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s %s\n", what, qPrintable(detail.left(200)));
        std::abort();
    }
}

bool hasControl(const QString &s)
{
    for (const QChar c : s) {
        if (c.category() == QChar::Other_Control)
            return true;
    }
    return false;
}

qsizetype utf8Bytes(const QString &s)
{
    return s.toUtf8().size();
}

void checkKeySegment(const QString &s, const char *what)
{
    check(!s.isEmpty(), what, s);
    check(!s.contains(QLatin1Char('/')), what, s);
    check(s != QLatin1String(".") && s != QLatin1String(".."), what, s);
    check(!hasControl(s), what, s);
    check(QStringView(s).isValidUtf16(), what, s);
    check(!s.contains(QChar::ReplacementCharacter), what, s);
    check(utf8Bytes(s) <= ServiceBuilder::kMaxKeyPartBytes, what, s);
}

// The detail record as EtcdV3Registry writes it (without the fields the registry adds).
QByteArray detailRecord(const ServiceDefinition &s)
{
    QJsonObject attributes;
    for (auto it = s.attributes.cbegin(); it != s.attributes.cend(); ++it)
        attributes.insert(it.key(), it.value());
    return QJsonDocument(QJsonObject{{"id", s.id},
                                     {"name", s.name},
                                     {"host", s.hostname},
                                     {"ip", s.ip},
                                     {"port", s.port},
                                     {"protocol", s.protocol},
                                     {"tags", QJsonArray::fromStringList(s.tags)},
                                     {"attributes", attributes},
                                     {"containerId", s.containerId},
                                     {"containerName", s.containerName},
                                     {"image", s.image}})
        .toJson(QJsonDocument::Compact);
}

void checkService(const ServiceDefinition &s)
{
    checkKeySegment(s.name, "service name is one key segment");
    checkKeySegment(s.id, "service id is one key segment");
    const QString key = QStringLiteral("/services/") + s.name + QLatin1Char('/') + s.id;
    check(!key.contains(QLatin1String("//")) && !key.contains(QChar(0)), "registry key", key);
    check(!s.ip.isEmpty() && !hasControl(s.ip) && s.ip.size() <= ServiceBuilder::kMaxKeyPartBytes,
          "ip usable", s.ip);
    check(s.port > 0 && s.port < 65536, "port in range");
    check(s.protocol == QLatin1String("tcp") || s.protocol == QLatin1String("udp") ||
              s.protocol == QLatin1String("sctp"),
          "known protocol", s.protocol);
    check(s.tags.size() <= ServiceBuilder::kMaxTags, "tag count");
    for (const QString &t : s.tags) {
        check(!t.isEmpty() && !hasControl(t), "tag usable", t);
        check(utf8Bytes(t) <= ServiceBuilder::kMaxValueBytes, "tag bounded", t);
    }
    check(s.attributes.size() <= ServiceBuilder::kMaxAttributes, "attribute count");
    for (auto it = s.attributes.cbegin(); it != s.attributes.cend(); ++it) {
        checkKeySegment(it.key(), "attribute key");
        check(utf8Bytes(it.value()) <= ServiceBuilder::kMaxValueBytes, "attribute bounded");
        check(QStringView(it.value()).isValidUtf16(), "attribute valid", it.value());
    }
    // The variable part is budgeted at kMaxRecordBytes; the fixed fields add at most a few KiB
    // (id, name, ip at 255 bytes, container id, name and image at 1020 bytes, escaped).
    const QByteArray record = detailRecord(s);
    check(record.size() <= ServiceBuilder::kMaxRecordBytes + 24 * 1024, "record bounded",
          QString::number(record.size()));
}

void checkResult(const ServiceBuildResult &r)
{
    check(r.notes.size() <= ServiceBuilder::kMaxNotes, "note count");
    for (const QString &n : r.notes) {
        check(!hasControl(n), "note is one clean log line", n);
        check(n.size() <= 1024, "note bounded", n);
    }
    if (r.portsPending || !r.networkContainerId.isEmpty())
        check(r.services.isEmpty(), "no services while pending or waiting for a network container");
    for (const ServiceDefinition &s : r.services)
        checkService(s);
}

const TagTemplate &pickTemplate(int which)
{
    static const QList<TagTemplate> templates = [] {
        QList<TagTemplate> list;
        for (const char *text :
             {"{{ .Config.Hostname }}", "{{ .Name }},{{ .Config.Image }}",
              "{{ join (split .Config.Labels.tags \" \") \",\" }}",
              "{{ range_absent }}{{ toUpper .Config.Labels.env }}", "{{ sIndex 0 .Config.Env }}",
              "{{ replace .Name \"/\" \"\" -1 }}"}) {
            QString error;
            list << TagTemplate::compile(QString::fromUtf8(text), &error); // invalid ones stay
        }
        return list;
    }();
    return templates.at(which % templates.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // A first byte other than '{' chooses the options, and the JSON follows; an input that starts
    // with '{' is a plain inspect document (the seeds) built with the default options.
    uint8_t bits = 0;
    if (size > 0 && data[0] != '{') {
        bits = data[0];
        ++data;
        --size;
    }
    ServiceOptions options;
    options.hostname =
        QStringList{"vm", "", "h\xc3\xb6st", QString(254, QLatin1Char('h'))}.at(bits & 3);
    options.internal = bits & 4;
    options.explicitOnly = bits & 8;
    if (bits & 16)
        options.hostIp = QStringLiteral("192.0.2.7");
    else
        options.resolvedHostIp = QStringLiteral("192.0.2.10");
    if (bits & 32)
        options.useIpFromLabel = QStringLiteral("ip");
    if (bits & 64)
        options.tags = &pickTemplate(bits >> 2);
    const QByteArray json =
        QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    if (!doc.isObject())
        return 0;
    const QJsonObject inspect = doc.object();
    const ServiceBuilder builder(options);

    ServiceBuildResult r = builder.build(inspect);
    checkResult(r);
    const bool needsNetworkContainer = !r.networkContainerId.isEmpty();
    const QJsonObject networkContainer = needsNetworkContainer ? inspect : QJsonObject();
    if (needsNetworkContainer) {
        // The network container: the same document, as good as any.
        r = builder.build(inspect, networkContainer);
        checkResult(r);
    }
    const ServiceBuildResult again = builder.build(inspect, networkContainer);
    check(again.services == r.services && again.notes == r.notes, "deterministic");

    // The pieces the builder uses, on their own.
    for (const ServicePort &p : ContainerPorts::read(inspect))
        check(!p.key.isNull(), "port key");
    (void)ContainerPorts::containerIp(inspect);
    (void)ContainerPorts::networkMode(inspect);
    return 0;
}
