#pragma once

#include <QString>

// portolan.cfg on disk. A new text goes to a temporary file beside it (so the rename is
// atomic and a refused text never replaces the file), is checked with
// `haproxy -c -f <main> -f <temporary>` and only then renamed over the file.
class HaproxyConfigFile {
public:
    HaproxyConfigFile(const QString &path, const QString &mainPath, const QString &binary,
                      int checkTimeoutMs);

    QString path() const { return m_path; }
    bool exists() const { return m_exists; }
    QString text() const { return m_text; } // as last read or written
    // Reads the file if there is one; an error sentence if it exists but cannot be read.
    QString load();
    // True when the file on disk is no longer what was last read or written.
    bool changedOnDisk() const;

    // Writes `text` to the temporary file and checks it. Empty on success; otherwise an error
    // sentence, with *refused set when haproxy -c refused it (the temporary file is removed).
    QString stage(const QString &text, bool *refused);
    // Renames the staged file over the file. An error sentence or empty.
    QString commit();
    // Puts back a previous state: `text` if `existed`, else removes the file.
    QString restore(const QString &text, bool existed);

    // `haproxy -c` on the main file and `file`: empty, or haproxy's first error line.
    QString check(const QString &file, bool *refused) const;

private:
    QString writeFile(const QString &file, const QString &text) const;
    QString m_path;
    QString m_mainPath;
    QString m_binary;
    int m_checkTimeoutMs;
    QString m_text;
    QString m_staged;
    QString m_stagedText;
    bool m_exists = false;
};
