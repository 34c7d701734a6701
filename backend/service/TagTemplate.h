#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <memory>

namespace tagtemplate {
struct Program;
}

// registrator's -tags flag: a Go text/template executed against the container's inspect JSON,
// whose output is split into tags on unescaped commas. Portolan implements a strict subset:
// literal text, {{ .Field.Path }}, string/int literals, parentheses, pipelines, {{- -}} trimming,
// {{/* comments */}} and registrator's functions strSlice, sIndex, mIndex, toUpper, toLower,
// replace, join, split, splitIndex, matchFirstElement, matchAllElements. httpGet and jsonParse
// (network fetches per registration) and control structures (if/range/with, variables) are
// rejected by compile(). Field names are Docker's inspect JSON keys; a key is matched exactly,
// then case-insensitively, so fsouza's .ID finds "Id".
class TagTemplate {
public:
    TagTemplate() = default; // empty: yields no tags

    // Parses text; on failure returns an invalid template and sets *error (the caller exits 2).
    static TagTemplate compile(const QString &text, QString *error);

    bool isValid() const { return m_program != nullptr; }
    QString source() const { return m_source; }

    // The rendered text; on failure returns "" and sets *error ("template: ...").
    QString execute(const QJsonObject &inspect, QString *error) const;
    // execute() split with splitEscapedComma(); empty on error.
    QStringList tags(const QJsonObject &inspect, QString *error) const;

    static constexpr int kMaxOutputBytes = 64 * 1024;

private:
    std::shared_ptr<const tagtemplate::Program> m_program;
    QString m_source;
};
