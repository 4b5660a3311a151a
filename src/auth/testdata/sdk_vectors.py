#!/usr/bin/python3
"""Requests and SAS tokens made by the official Python SDK (Debian python3-azure), for src/auth tests.

Needs `apt-get install python3-azure` (20230112: azure-storage-file-datalake 12.10.0b1, azure-storage-blob
12.15.0b1, azure-core 1.26.3). No network: a capturing transport records each signed request and stops it.
Regenerate the C++ constants with

    /usr/bin/python3 src/auth/testdata/sdk_vectors.py > src/auth/testdata/sdk_vectors.inc
"""

from datetime import datetime, timezone
from urllib.parse import urlsplit

import azure.core
import azure.storage.blob as blob
import azure.storage.filedatalake as datalake
from azure.core.pipeline.transport import HttpTransport

ACCOUNT = 'devstoreaccount1'
KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
URL = 'http://127.0.0.1:10004/' + ACCOUNT
START = datetime(2026, 3, 1, 0, 0, 0, tzinfo=timezone.utc)
EXPIRY = datetime(2026, 3, 3, 0, 0, 0, tzinfo=timezone.utc)


class Captured(Exception):
    pass


class CaptureTransport(HttpTransport):
    def __init__(self):
        self.requests = []

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send(self, request, **kwargs):
        # User-Agent names this machine and is not signed; everything else is kept as sent.
        headers = [(k, v) for k, v in request.headers.items() if k.lower() != 'user-agent']
        self.requests.append((request.method, request.url, headers))
        raise Captured()


def capture(transport, name, call):
    before = len(transport.requests)
    try:
        call()
    except Captured:
        pass
    assert len(transport.requests) == before + 1, name
    return name


def cxx(text):
    out = '"'
    for b in text.encode('utf-8'):
        c = chr(b)
        if c in '\\"':
            out += '\\' + c
        elif 32 <= b < 127:
            out += c
        else:
            out += '\\%03o' % b
    return out + '"'


def requests():
    t = CaptureTransport()
    cred = {'account_name': ACCOUNT, 'account_key': KEY}
    dls = datalake.DataLakeServiceClient(URL, credential=cred, transport=t)
    fs = dls.get_file_system_client('fs1')
    odd = fs.get_file_client('dir one/12,+3#456?.txt')
    uni = fs.get_file_client('日本語/Ä b.csv')
    d = fs.get_directory_client('dir one')
    bsc = blob.BlobServiceClient(URL, credential=cred, transport=t)
    names = [
        capture(t, 'create_file_system', lambda: fs.create_file_system(metadata={'Owner': 'me', 'a_1': 'x'})),
        capture(t, 'list_paths', lambda: next(iter(fs.get_paths(path='dir one', recursive=True, max_results=10)))),
        capture(t, 'create_directory', lambda: d.create_directory(metadata={'k': 'v'}, permissions='rwxr-x---',
                                                                  umask='0027')),
        capture(t, 'create_file', lambda: odd.create_file(content_settings=datalake.ContentSettings(
            content_type='text/csv', content_language='de'))),
        capture(t, 'append', lambda: odd.append_data(b'hello world', offset=0, length=11)),
        capture(t, 'flush_unicode', lambda: uni.flush_data(11, content_settings=datalake.ContentSettings(
            content_type='text/csv'))),
        capture(t, 'get_properties', lambda: odd.get_file_properties()),
        capture(t, 'download_range', lambda: uni.download_file(offset=0, length=5)),
        capture(t, 'set_acl', lambda: odd.set_access_control(acl='user::rwx,group::r-x,other::---')),
        capture(t, 'rename', lambda: odd.rename_file('fs1/dir one/renamed+x.txt')),
        capture(t, 'set_metadata', lambda: odd.set_metadata({'Hello': 'World', 'x_1': '2'})),
        capture(t, 'delete_directory', lambda: d.delete_directory()),
        capture(t, 'list_containers', lambda: next(iter(bsc.list_containers(include_metadata=True)))),
        capture(t, 'upload_blob', lambda: bsc.get_blob_client('c1', 'a b/c.txt').upload_blob(
            b'data', metadata={'m': '1'}, overwrite=True)),
    ]
    print('const SdkRequest kSdkRequests[] = {')
    for name, (method, url, headers) in zip(names, t.requests):
        parts = urlsplit(url)
        print('  {%s, %s, %s, %s,' % (cxx(name), cxx(method), cxx(parts.path), cxx(parts.query)))
        print('   {%s}},' % ', '.join('{%s, %s}' % (cxx(k), cxx(str(v))) for k, v in headers))
    print('};')


def sas_tokens():
    rt = datalake.ResourceTypes(service=True, file_system=True, object=True)
    tokens = [
        ('account', datalake.generate_account_sas(
            ACCOUNT, KEY, rt, datalake.AccountSasPermissions(read=True, write=True, list=True, create=True),
            EXPIRY, start=START)),
        ('file_system', datalake.generate_file_system_sas(
            ACCOUNT, 'fs1', KEY, permission=datalake.FileSystemSasPermissions(read=True, write=True, list=True,
                                                                                 move=True, execute=True),
            expiry=EXPIRY, start=START, ip='127.0.0.1', protocol='https,http')),
        ('directory', datalake.generate_directory_sas(
            ACCOUNT, 'fs1', 'dir one/sub', KEY,
            permission=datalake.DirectorySasPermissions(read=True, list=True), expiry=EXPIRY)),
        ('file', datalake.generate_file_sas(
            ACCOUNT, 'fs1', 'dir one', '12,+3#456?.txt', KEY,
            permission=datalake.FileSasPermissions(read=True), expiry=EXPIRY, start=START,
            content_disposition='attachment; filename="x y.txt"', content_type='text/plain')),
        ('blob_snapshot', blob.generate_blob_sas(
            ACCOUNT, 'c1', 'b.bin', snapshot='2026-03-01T00:00:00.1234567Z', account_key=KEY,
            permission=blob.BlobSasPermissions(read=True, delete=True), expiry=EXPIRY)),
    ]
    print('const SdkSas kSdkSas[] = {')
    for name, token in tokens:
        print('  {%s, %s},' % (cxx(name), cxx(token)))
    print('};')


def main():
    print('// Generated by src/auth/testdata/sdk_vectors.py with python3-azure (azure-core %s, '
          'azure-storage-file-datalake %s, azure-storage-blob %s); do not edit.'
          % (azure.core.__version__, datalake.__version__, blob.__version__))
    print('// clang-format off')
    requests()
    sas_tokens()
    print('// clang-format on')


if __name__ == '__main__':
    main()
