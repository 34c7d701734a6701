#pragma once

#include <QString>
#include <QStringView>

// Rules for text that comes from a container (names, ids, tags, attributes): what may go into
// a registry key or value, and how a value is quoted in a note so that a log line shows exactly
// what it holds. Each check answers with why the text is refused ("contains '/'"), empty when
// it is fine.
namespace ServiceText {
// Control characters as \xNN, invisible ones (Unicode Cf, Zl, Zp) as \uXXXX (\UXXXXXXXX beyond
// the BMP).
QString escapedControl(QStringView s);
// Quoted for a note: control and invisible characters escaped, cut after 64 characters.
QString quoted(const QString &s);
// Why text must not be a name, id or tag because of a character in it.
QString characterProblem(const QString &s, bool allowControl);
// Why text cannot be one path segment of a registry key.
QString keyPartProblem(const QString &s, int maxBytes);
// Why text cannot be a tag or attribute value (at most maxBytes of UTF-8).
QString valueProblem(const QString &s, bool allowControl, int maxBytes);
// Bytes the text takes as a JSON string in the detail record.
qsizetype jsonBytes(const QString &s);
} // namespace ServiceText
