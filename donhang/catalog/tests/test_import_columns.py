"""The import page names each column in the reader's language beside the file's own name."""

import io

from django.urls import reverse


def test_the_import_page_names_columns_in_words_beside_the_files_names(owner_client):
    owner_client.cookies["donhang_language"] = "en"
    html = owner_client.get(reverse("catalog:product_import")).text
    table = html[html.index('id="import-columns"') :]
    assert "<code>product_sku</code></td><td>Product SKU" in table
    assert "<code>sale_price</code></td><td>Sale price incl. VAT (₫)" in table
    assert "<code>cost_price</code></td><td>Cost excl. VAT (₫)" in table


def test_an_import_error_names_the_column_in_words_too(owner_client):
    owner_client.cookies["donhang_language"] = "en"
    upload = io.BytesIO(b"product_sku,product_name,variant_sku,sale_price\nA1,Ao,A1-1,abc\n")
    upload.name = "products.csv"
    response = owner_client.post(reverse("catalog:product_import"), {"file": upload})
    assert response.status_code == 422
    assert "Sale price incl. VAT (₫) <code>sale_price</code>" in response.text
